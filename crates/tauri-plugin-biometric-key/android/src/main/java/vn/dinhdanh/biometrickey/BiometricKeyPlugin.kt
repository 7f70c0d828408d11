// Định Danh: biometric confirmation that unlocks a key, and the app's secret store, on Android.
//
// The Rust side (crates/tauri-plugin-biometric-key) calls these commands through Tauri's
// PluginHandle::run_mobile_plugin. Names, arguments and error codes must match
// src/wire.rs and src/error.rs there.
//
// Why a key and not a flag: the signing key below is created with
// setUserAuthenticationRequired(true) and strong biometrics as the only authenticator, so the
// Keystore itself refuses to sign until BiometricPrompt has authenticated the person *for this
// very Signature object* (the CryptoObject). There is no code path where "authentication
// succeeded" is a boolean this process could fake; what leaves this file is a signature the
// server verifies.

package vn.dinhdanh.biometrickey

import android.app.Activity
import android.content.Context
import android.content.SharedPreferences
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyInfo
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import android.util.Base64
import androidx.biometric.BiometricManager
import androidx.biometric.BiometricManager.Authenticators.BIOMETRIC_STRONG
import androidx.biometric.BiometricPrompt
import androidx.core.content.ContextCompat
import androidx.fragment.app.FragmentActivity
import app.tauri.annotation.Command
import app.tauri.annotation.InvokeArg
import app.tauri.annotation.TauriPlugin
import app.tauri.plugin.Invoke
import app.tauri.plugin.JSObject
import app.tauri.plugin.Plugin
import java.security.KeyFactory
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.PrivateKey
import java.security.PublicKey
import java.security.Signature
import java.security.spec.ECGenParameterSpec
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicBoolean
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

// Error codes: src/error.rs `native_code`.
private const val UNAVAILABLE = "unavailable"
private const val NOT_ENROLLED = "notEnrolled"
private const val NO_KEY = "noKey"
private const val KEY_INVALIDATED = "keyInvalidated"
private const val CANCELLED = "cancelled"
private const val LOCKOUT = "lockout"
private const val SECRET_UNREADABLE = "secretUnreadable"
private const val KEYSTORE_FAILURE = "keystoreFailure"
private const val PROMPT_FAILURE = "promptFailure"

private const val ANDROID_KEYSTORE = "AndroidKeyStore"
/** The AES key that seals the secret store; it never leaves the Keystore. */
private const val SECRETS_KEY_ALIAS = "vn.dinhdanh.app/secrets"
/** App-private preferences holding sealed values; excluded from backup (see docs/design/mobile.md). */
private const val SECRETS_PREFS = "vn.dinhdanh.secrets"
private const val GCM_IV_LEN = 12
private const val GCM_TAG_BITS = 128

@InvokeArg
class KeyArgs {
    lateinit var alias: String
}

@InvokeArg
class SignArgs {
    lateinit var alias: String
    /** The bytes to sign, standard base64. The Keystore hashes them (SHA-256) itself. */
    lateinit var message: String
    lateinit var title: String
    lateinit var subtitle: String
    lateinit var cancel: String
}

@InvokeArg
class SecretArgs {
    lateinit var namespace: String
    lateinit var name: String
    /** Standard base64; only for secretSet. */
    var value: String? = null
}

@TauriPlugin
class BiometricKeyPlugin(private val activity: Activity) : Plugin(activity) {
    // Commands arrive on the main thread; Keystore work (StrongBox especially) can take
    // hundreds of milliseconds, so it runs here, one operation at a time.
    private val worker: ExecutorService = Executors.newSingleThreadExecutor()

    private val keyStore: KeyStore by lazy {
        KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
    }

    private val prefs: SharedPreferences by lazy {
        activity.getSharedPreferences(SECRETS_PREFS, Context.MODE_PRIVATE)
    }

    // ---------------------------------------------------------------------------------------
    // Biometric key
    // ---------------------------------------------------------------------------------------

    @Command
    fun status(invoke: Invoke) {
        val args = invoke.parseArgs(KeyArgs::class.java)
        val check = BiometricManager.from(activity).canAuthenticate(BIOMETRIC_STRONG)
        worker.execute {
            try {
                val hasKey = keyStore.containsAlias(args.alias)
                val result = JSObject()
                result.put(
                    "available",
                    check == BiometricManager.BIOMETRIC_SUCCESS ||
                        check == BiometricManager.BIOMETRIC_ERROR_NONE_ENROLLED
                )
                result.put("enrolled", check == BiometricManager.BIOMETRIC_SUCCESS)
                result.put("hasKey", hasKey)
                result.put("secureElement", hasKey && isInStrongBox(args.alias))
                statusReason(check)?.let { result.put("reason", it) }
                invoke.resolve(result)
            } catch (e: Exception) {
                invoke.reject(e.message ?: e.toString(), KEYSTORE_FAILURE)
            }
        }
    }

    @Command
    fun createKey(invoke: Invoke) {
        val args = invoke.parseArgs(KeyArgs::class.java)
        when (BiometricManager.from(activity).canAuthenticate(BIOMETRIC_STRONG)) {
            BiometricManager.BIOMETRIC_SUCCESS -> {}
            BiometricManager.BIOMETRIC_ERROR_NONE_ENROLLED -> {
                invoke.reject("no strong biometrics enrolled", NOT_ENROLLED)
                return
            }
            else -> {
                invoke.reject("no strong biometric hardware available", UNAVAILABLE)
                return
            }
        }
        worker.execute {
            try {
                if (keyStore.containsAlias(args.alias)) {
                    keyStore.deleteEntry(args.alias)
                }
                val generated = try {
                    generateSigningKey(args.alias, strongBox = hasStrongBox())
                } catch (e: StrongBoxUnavailableException) {
                    // Advertised but busy or unable to hold this key: the TEE still keeps it
                    // out of the app's reach.
                    generateSigningKey(args.alias, strongBox = false)
                }
                invoke.resolve(publicKeyAnswer(generated))
            } catch (e: IllegalStateException) {
                // Thrown when no biometric is enrolled at generation time.
                invoke.reject(e.message ?: e.toString(), NOT_ENROLLED)
            } catch (e: Exception) {
                invoke.reject(e.message ?: e.toString(), KEYSTORE_FAILURE)
            }
        }
    }

    @Command
    fun publicKey(invoke: Invoke) {
        val args = invoke.parseArgs(KeyArgs::class.java)
        worker.execute {
            try {
                val certificate = keyStore.getCertificate(args.alias)
                if (certificate == null) {
                    invoke.reject("no key for this profile", NO_KEY)
                } else {
                    // Reading the public half needs no authentication.
                    invoke.resolve(publicKeyAnswer(certificate.publicKey))
                }
            } catch (e: Exception) {
                invoke.reject(e.message ?: e.toString(), KEYSTORE_FAILURE)
            }
        }
    }

    @Command
    fun deleteKey(invoke: Invoke) {
        val args = invoke.parseArgs(KeyArgs::class.java)
        worker.execute {
            try {
                if (keyStore.containsAlias(args.alias)) {
                    keyStore.deleteEntry(args.alias)
                }
                invoke.resolve()
            } catch (e: Exception) {
                invoke.reject(e.message ?: e.toString(), KEYSTORE_FAILURE)
            }
        }
    }

    @Command
    fun sign(invoke: Invoke) {
        val args = invoke.parseArgs(SignArgs::class.java)
        val message = try {
            Base64.decode(args.message, Base64.NO_WRAP)
        } catch (e: IllegalArgumentException) {
            invoke.reject("the message is not base64", PROMPT_FAILURE)
            return
        }
        worker.execute {
            val signature = prepareSignature(invoke, args.alias) ?: return@execute
            activity.runOnUiThread { prompt(invoke, args, signature, message) }
        }
    }

    /** The Signature over the profile's key, not yet authorised; rejects and returns null when
     *  there is no usable key. */
    private fun prepareSignature(invoke: Invoke, alias: String): Signature? {
        return try {
            val key = keyStore.getKey(alias, null) as? PrivateKey
            if (key == null) {
                invoke.reject("no key for this profile", NO_KEY)
                null
            } else {
                val signature = Signature.getInstance("SHA256withECDSA")
                // Succeeds without authentication; the Keystore checks it at sign().
                signature.initSign(key)
                signature
            }
        } catch (e: KeyPermanentlyInvalidatedException) {
            // Enrolled biometrics changed since the key was made: it can never sign again.
            // Drop it so the app stops offering biometrics until it binds anew.
            runCatching { keyStore.deleteEntry(alias) }
            invoke.reject("the key was invalidated by a biometric enrolment change", KEY_INVALIDATED)
            null
        } catch (e: Exception) {
            invoke.reject(e.message ?: e.toString(), KEYSTORE_FAILURE)
            null
        }
    }

    /** Shows BiometricPrompt bound to `signature`; signs only inside the success callback. */
    private fun prompt(invoke: Invoke, args: SignArgs, signature: Signature, message: ByteArray) {
        val host = activity as? FragmentActivity
        if (host == null) {
            invoke.reject("the app's activity cannot host the biometric prompt", PROMPT_FAILURE)
            return
        }
        val answered = AtomicBoolean(false)
        val callback = object : BiometricPrompt.AuthenticationCallback() {
            override fun onAuthenticationSucceeded(result: BiometricPrompt.AuthenticationResult) {
                if (!answered.compareAndSet(false, true)) return
                // The Signature the Keystore has just authorised; any other would be refused.
                val authorised = result.cryptoObject?.signature
                if (authorised == null) {
                    invoke.reject("the prompt returned no crypto object", PROMPT_FAILURE)
                    return
                }
                worker.execute {
                    try {
                        authorised.update(message)
                        val der = authorised.sign()
                        val answer = JSObject()
                        answer.put("signature", Base64.encodeToString(der, Base64.NO_WRAP))
                        invoke.resolve(answer)
                    } catch (e: KeyPermanentlyInvalidatedException) {
                        runCatching { keyStore.deleteEntry(args.alias) }
                        invoke.reject(e.message ?: e.toString(), KEY_INVALIDATED)
                    } catch (e: Exception) {
                        invoke.reject(e.message ?: e.toString(), KEYSTORE_FAILURE)
                    }
                }
            }

            override fun onAuthenticationError(errorCode: Int, errString: CharSequence) {
                if (!answered.compareAndSet(false, true)) return
                invoke.reject(errString.toString(), promptErrorCode(errorCode))
            }

            // A finger or face that did not match: the prompt stays up and says so itself.
            override fun onAuthenticationFailed() {}
        }
        try {
            val info = BiometricPrompt.PromptInfo.Builder()
                .setTitle(args.title)
                .setSubtitle(args.subtitle)
                .setNegativeButtonText(args.cancel)
                // Class 3 only: weak (class 2) biometrics cannot unlock Keystore keys anyway,
                // and the device PIN is not a biometric confirmation.
                .setAllowedAuthenticators(BIOMETRIC_STRONG)
                .setConfirmationRequired(true)
                .build()
            BiometricPrompt(host, ContextCompat.getMainExecutor(activity), callback)
                .authenticate(info, BiometricPrompt.CryptoObject(signature))
        } catch (e: Exception) {
            if (answered.compareAndSet(false, true)) {
                invoke.reject(e.message ?: e.toString(), PROMPT_FAILURE)
            }
        }
    }

    private fun generateSigningKey(alias: String, strongBox: Boolean): PublicKey {
        val builder = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN)
            .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
            .setDigests(KeyProperties.DIGEST_SHA256)
            .setUserAuthenticationRequired(true)
            // A finger or face added later (by whoever learns the phone's PIN) must not
            // inherit the right to sign: the key dies with the enrolment it was made under.
            .setInvalidatedByBiometricEnrollment(true)
            .setUnlockedDeviceRequired(true)
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
            // Timeout 0: every signature needs its own authentication; strong biometrics only.
            builder.setUserAuthenticationParameters(0, KeyProperties.AUTH_BIOMETRIC_STRONG)
        } else {
            // API 28-29: -1 means "authenticate every use, through a CryptoObject", which
            // BiometricPrompt provides; the deprecated call is the only way to say so there.
            @Suppress("DEPRECATION")
            builder.setUserAuthenticationValidityDurationSeconds(-1)
        }
        if (strongBox) {
            builder.setIsStrongBoxBacked(true)
        }
        val generator = KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, ANDROID_KEYSTORE)
        generator.initialize(builder.build())
        return generator.generateKeyPair().public
    }

    private fun hasStrongBox(): Boolean =
        activity.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)

    private fun isInStrongBox(alias: String): Boolean {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.S) return false
        val key = keyStore.getKey(alias, null) as? PrivateKey ?: return false
        val info = KeyFactory.getInstance(key.algorithm, ANDROID_KEYSTORE)
            .getKeySpec(key, KeyInfo::class.java)
        return info.securityLevel == KeyProperties.SECURITY_LEVEL_STRONGBOX
    }

    /** X.509 SubjectPublicKeyInfo (DER); the Rust side turns it into the compressed point. */
    private fun publicKeyAnswer(key: PublicKey): JSObject {
        val answer = JSObject()
        answer.put("publicKey", Base64.encodeToString(key.encoded, Base64.NO_WRAP))
        return answer
    }

    private fun statusReason(check: Int): String? = when (check) {
        BiometricManager.BIOMETRIC_SUCCESS -> null
        BiometricManager.BIOMETRIC_ERROR_NONE_ENROLLED -> "no strong biometrics enrolled"
        BiometricManager.BIOMETRIC_ERROR_NO_HARDWARE -> "no strong biometric hardware"
        BiometricManager.BIOMETRIC_ERROR_HW_UNAVAILABLE -> "biometric hardware unavailable"
        BiometricManager.BIOMETRIC_ERROR_SECURITY_UPDATE_REQUIRED -> "a security update is required"
        else -> "biometrics unavailable ($check)"
    }

    private fun promptErrorCode(errorCode: Int): String = when (errorCode) {
        BiometricPrompt.ERROR_NEGATIVE_BUTTON,
        BiometricPrompt.ERROR_USER_CANCELED,
        BiometricPrompt.ERROR_CANCELED,
        BiometricPrompt.ERROR_TIMEOUT -> CANCELLED
        BiometricPrompt.ERROR_LOCKOUT,
        BiometricPrompt.ERROR_LOCKOUT_PERMANENT -> LOCKOUT
        BiometricPrompt.ERROR_NO_BIOMETRICS -> NOT_ENROLLED
        BiometricPrompt.ERROR_HW_NOT_PRESENT,
        BiometricPrompt.ERROR_HW_UNAVAILABLE -> UNAVAILABLE
        else -> PROMPT_FAILURE
    }

    // ---------------------------------------------------------------------------------------
    // Secret store: AES-256-GCM under a Keystore key, values in app-private preferences.
    // (Jetpack's EncryptedSharedPreferences does the same but is deprecated.)
    // ---------------------------------------------------------------------------------------

    @Command
    fun secretGet(invoke: Invoke) {
        val args = invoke.parseArgs(SecretArgs::class.java)
        worker.execute {
            try {
                val stored = prefs.getString(prefKey(args), null)
                val answer = JSObject()
                if (stored != null) {
                    val plain = unseal(args, Base64.decode(stored, Base64.NO_WRAP))
                    answer.put("value", Base64.encodeToString(plain, Base64.NO_WRAP))
                    plain.fill(0)
                }
                invoke.resolve(answer)
            } catch (e: SecretUnreadable) {
                invoke.reject(e.message, SECRET_UNREADABLE)
            } catch (e: Exception) {
                invoke.reject(e.message ?: e.toString(), KEYSTORE_FAILURE)
            }
        }
    }

    @Command
    fun secretSet(invoke: Invoke) {
        val args = invoke.parseArgs(SecretArgs::class.java)
        worker.execute {
            try {
                val value = args.value
                if (value == null) {
                    invoke.reject("secretSet needs a value", KEYSTORE_FAILURE)
                    return@execute
                }
                val plain = Base64.decode(value, Base64.NO_WRAP)
                val sealed = seal(args, plain)
                plain.fill(0)
                // commit(), not apply(): a session token must be on disk before the caller
                // goes on as if it were stored.
                if (!prefs.edit().putString(prefKey(args), Base64.encodeToString(sealed, Base64.NO_WRAP)).commit()) {
                    invoke.reject("could not write the secret store", KEYSTORE_FAILURE)
                    return@execute
                }
                invoke.resolve()
            } catch (e: Exception) {
                invoke.reject(e.message ?: e.toString(), KEYSTORE_FAILURE)
            }
        }
    }

    @Command
    fun secretDelete(invoke: Invoke) {
        val args = invoke.parseArgs(SecretArgs::class.java)
        worker.execute {
            try {
                if (!prefs.edit().remove(prefKey(args)).commit()) {
                    invoke.reject("could not write the secret store", KEYSTORE_FAILURE)
                    return@execute
                }
                invoke.resolve()
            } catch (e: Exception) {
                invoke.reject(e.message ?: e.toString(), KEYSTORE_FAILURE)
            }
        }
    }

    private class SecretUnreadable(message: String) : Exception(message)

    /** Names are checked on the Rust side (no newline), so this key is unambiguous. */
    private fun prefKey(args: SecretArgs): String = args.namespace + "\n" + args.name

    /** Binds a sealed value to its entry: moving it under another name fails to open. */
    private fun associatedData(args: SecretArgs): ByteArray =
        ("vn.dinhdanh.secret\n" + args.namespace + "\n" + args.name).toByteArray(Charsets.UTF_8)

    private fun secretsKey(create: Boolean): SecretKey? {
        (keyStore.getKey(SECRETS_KEY_ALIAS, null) as? SecretKey)?.let { return it }
        if (!create) return null
        // No user authentication: the session token is needed for every API call. What the
        // biometric prompt protects is the signing key above, not this one.
        val spec = KeyGenParameterSpec.Builder(
            SECRETS_KEY_ALIAS,
            KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT
        )
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(256)
            .setRandomizedEncryptionRequired(true)
            .build()
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
        generator.init(spec)
        return generator.generateKey()
    }

    private fun seal(args: SecretArgs, plain: ByteArray): ByteArray {
        val key = secretsKey(create = true) ?: throw IllegalStateException("no secrets key")
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        // The Keystore picks a fresh random IV (randomized encryption is required).
        cipher.init(Cipher.ENCRYPT_MODE, key)
        cipher.updateAAD(associatedData(args))
        val sealed = cipher.doFinal(plain)
        return cipher.iv + sealed
    }

    private fun unseal(args: SecretArgs, stored: ByteArray): ByteArray {
        // A value without its key: the preferences came back from a backup or another phone.
        val key = secretsKey(create = false)
            ?: throw SecretUnreadable("the key that sealed this entry is gone")
        if (stored.size <= GCM_IV_LEN) throw SecretUnreadable("the entry is truncated")
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        try {
            cipher.init(
                Cipher.DECRYPT_MODE,
                key,
                GCMParameterSpec(GCM_TAG_BITS, stored, 0, GCM_IV_LEN)
            )
            cipher.updateAAD(associatedData(args))
            return cipher.doFinal(stored, GCM_IV_LEN, stored.size - GCM_IV_LEN)
        } catch (e: AEADBadTagException) {
            throw SecretUnreadable("the entry does not open with its key")
        } catch (e: KeyPermanentlyInvalidatedException) {
            throw SecretUnreadable("the secrets key was invalidated")
        }
    }
}
