//! OpenAPI schemas for the types that travel as plain strings (identifiers, keys, digests,
//! secrets), whose serde impls are hand-written and so cannot be derived. Everything else
//! derives `utoipa::ToSchema` behind the `openapi` feature; without the feature this module
//! expands to nothing, so wasm and UI builds do not pay for it.

/// Implements `utoipa::PartialSchema` and `utoipa::ToSchema` for a type that serialises as a
/// string, with `$description` (the format the parser accepts).
macro_rules! string_schema {
    ($name:ty, $description:expr) => {
        #[cfg(feature = "openapi")]
        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .description(Some($description))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl ::utoipa::ToSchema for $name {}
    };
}
pub(crate) use string_schema;
