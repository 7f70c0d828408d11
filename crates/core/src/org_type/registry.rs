//! [`RegistryKind`]: the registers the identity authority checks an organisation against.

use serde::{Deserialize, Serialize};

/// A register the identity authority checks an organisation's details against.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryKind {
    /// The national business registration database (Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp).
    BusinessRegistry,
    /// The cooperative registration system (Hệ thống thông tin quốc gia về đăng ký hợp tác xã).
    CooperativeRegistry,
    /// The tax registration database (Cơ sở dữ liệu về đăng ký thuế).
    TaxRegistry,
}

impl RegistryKind {
    /// Vietnamese name of the register, for "verified against ..." lines.
    pub fn label_vi(self) -> &'static str {
        match self {
            RegistryKind::BusinessRegistry => "Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp",
            RegistryKind::CooperativeRegistry => {
                "Hệ thống thông tin quốc gia về đăng ký hợp tác xã"
            }
            RegistryKind::TaxRegistry => "Cơ sở dữ liệu về đăng ký thuế",
        }
    }

    /// English name of the register.
    pub fn label_en(self) -> &'static str {
        match self {
            RegistryKind::BusinessRegistry => "National business registration database",
            RegistryKind::CooperativeRegistry => "National cooperative registration system",
            RegistryKind::TaxRegistry => "Tax registration database",
        }
    }
}
