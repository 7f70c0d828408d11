/* Stand-in for the Apple SDK's header, for `cargo xtask check-targets` only (see
   xtask/src/check_targets.rs): the platform macros ring's C sources read, from clang's own
   predefined macros. Nothing built with it is linked or run. */
#if defined(__ENVIRONMENT_IPHONE_OS_VERSION_MIN_REQUIRED__)
#define TARGET_OS_IPHONE 1
#define TARGET_OS_IOS 1
#define TARGET_OS_OSX 0
#else
#define TARGET_OS_IPHONE 0
#define TARGET_OS_IOS 0
#define TARGET_OS_OSX 1
#endif
#define TARGET_OS_SIMULATOR 0
