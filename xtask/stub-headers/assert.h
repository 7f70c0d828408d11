/* Stand-in for the C library's header, for `cargo xtask check-targets` only (see
   xtask/src/check_targets.rs): what ring's C sources need of it to compile. Nothing built
   with it is linked or run. */
#define assert(e) ((void)0)
