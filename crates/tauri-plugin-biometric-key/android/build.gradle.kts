import org.jetbrains.kotlin.gradle.dsl.JvmTarget

// The Kotlin half of tauri-plugin-biometric-key. Built as part of the app's Android project
// (`cargo tauri android build`); tauri-plugin's build script copies the Tauri Android library
// into ./.tauri/tauri-api, which settings.gradle includes.
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "vn.dinhdanh.biometrickey"
    compileSdk = 36

    defaultConfig {
        // Android 9: BiometricPrompt, StrongBox, setUnlockedDeviceRequired.
        minSdk = 28
        consumerProguardFiles("consumer-rules.pro")
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_1_8
        targetCompatibility = JavaVersion.VERSION_1_8
    }
}

kotlin {
    compilerOptions {
        jvmTarget = JvmTarget.JVM_1_8
    }
}

dependencies {
    implementation("androidx.core:core-ktx:1.9.0")
    implementation("androidx.appcompat:appcompat:1.7.1")
    // BiometricPrompt with CryptoObject and Authenticators.BIOMETRIC_STRONG.
    implementation("androidx.biometric:biometric:1.1.0")
    implementation("androidx.fragment:fragment-ktx:1.6.2")
    implementation(project(":tauri-android"))
}
