//! The patched fast paths (row slices, `from_bitmap_bytes`) find exactly what upstream's
//! per-pixel paths find: the same pictures read through both.
#![cfg(feature = "img")]

use rqrr_patched as rqrr;

use rqrr::{Point, PreparedImage};

/// A grid found: its corners and its decoded text.
type Found = Vec<([Point; 4], String)>;

/// Grids found in `path`, each as its corners and decoded text: once through the `image`
/// buffer (per-pixel access, as upstream) and once through the same bitmap as bytes.
fn both_ways(path: &str) -> (Found, Found) {
    let grey = image::open(path).unwrap().to_luma8();
    let (w, h) = (grey.width() as usize, grey.height() as usize);
    let mut per_pixel = PreparedImage::prepare(grey);
    // The thresholded bitmap, before detection repaints anything.
    let bits: Vec<u8> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| u8::from(per_pixel.get_pixel_at(x, y) != 0u8))
        .collect();
    let mut rows = PreparedImage::from_bitmap_bytes(w, h, bits).unwrap();
    fn read<G: rqrr::BitGrid>(grids: Vec<rqrr::Grid<G>>) -> Found {
        grids
            .iter()
            .map(|g| (g.bounds, g.decode().map(|(_, t)| t).unwrap_or_default()))
            .collect()
    }
    let a = read(per_pixel.detect_grids());
    let b = read(rows.detect_grids());
    (a, b)
}

#[test]
fn row_scanning_finds_what_pixel_scanning_finds() {
    for path in [
        "tests/data/full/gogh.jpg",
        "tests/data/full/multiple.png",
        "tests/data/full/multiple_rotated.png",
        "tests/data/full/superlong.gif",
        "tests/data/github.gif",
        "tests/data/number.gif",
    ] {
        let (per_pixel, rows) = both_ways(path);
        assert!(!per_pixel.is_empty(), "{path}: nothing found");
        assert_eq!(per_pixel, rows, "{path}");
    }
}
