//! Camera frames to the grey image the shell's QR decoder reads.

/// Converts RGBA pixels (a canvas's `ImageData`) to 8-bit luma, one byte per pixel, with the
/// BT.601 weights in integer arithmetic. Returns `None` when the buffer does not hold
/// `width * height` pixels.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // Used by the camera (wasm only) and tests.
pub fn rgba_to_luma(rgba: &[u8], width: u32, height: u32) -> Option<Vec<u8>> {
    let pixels = (width as usize).checked_mul(height as usize)?;
    if rgba.len() != pixels.checked_mul(4)? {
        return None;
    }
    Some(
        rgba.chunks_exact(4)
            .map(|p| match p {
                [r, g, b, _] => {
                    ((299 * u32::from(*r) + 587 * u32::from(*g) + 114 * u32::from(*b)) / 1000) as u8
                }
                _ => 0,
            })
            .collect(),
    )
}

/// The size to draw a camera frame at: at most `max_side` pixels on the longer side (a
/// smaller frame decodes faster and crosses the IPC quicker), keeping the aspect ratio.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // Used by the camera (wasm only) and tests.
pub fn scaled_size(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let longer = width.max(height);
    if longer <= max_side || longer == 0 {
        return (width, height);
    }
    let scale = |v: u32| ((u64::from(v) * u64::from(max_side)) / u64::from(longer)).max(1) as u32;
    (scale(width), scale(height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_black_and_pure_green_become_the_right_greys() {
        let rgba = [255, 255, 255, 255, 0, 0, 0, 255, 0, 255, 0, 255];
        assert_eq!(rgba_to_luma(&rgba, 3, 1), Some(vec![255, 0, 149]));
    }

    #[test]
    fn a_buffer_of_the_wrong_size_is_refused() {
        assert_eq!(rgba_to_luma(&[0; 8], 3, 1), None);
    }

    #[test]
    fn large_frames_are_scaled_down_keeping_their_shape() {
        assert_eq!(scaled_size(1280, 720, 640), (640, 360));
        assert_eq!(scaled_size(480, 640, 640), (480, 640));
    }
}
