//! OpenAPI schemas for the types that travel as plain strings (identifiers, keys, digests,
//! secrets), whose serde impls are hand-written and so cannot be derived. Everything else
//! derives `utoipa::ToSchema` behind the `openapi` feature; without the feature this module
//! expands to nothing, so wasm and UI builds do not pay for it.
//!
//! A schema says what its type's parser accepts: a `pattern` (from [`crate::patterns`], each
//! one written next to, and tested against, the parser it mirrors), lengths, or an `enum`, so
//! a generated client (or a fuzzer such as schemathesis) can make values the server takes.

/// Implements `utoipa::PartialSchema` and `utoipa::ToSchema` for a type that serialises as a
/// string, with `$description` (the format the parser accepts), refined by `$refine`
/// (`fn(ObjectBuilder) -> ObjectBuilder`: a pattern, lengths, an enum) when given.
macro_rules! string_schema {
    ($name:ty, $description:expr) => {
        $crate::openapi::string_schema!($name, $description, |b| b);
    };
    ($name:ty, $description:expr, $refine:expr) => {
        #[cfg(feature = "openapi")]
        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                let refine: fn(
                    ::utoipa::openapi::schema::ObjectBuilder,
                ) -> ::utoipa::openapi::schema::ObjectBuilder = $refine;
                refine(
                    ::utoipa::openapi::schema::ObjectBuilder::new()
                        .schema_type(::utoipa::openapi::schema::Type::String)
                        .description(Some($description)),
                )
                .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl ::utoipa::ToSchema for $name {}
    };
}
pub(crate) use string_schema;
