// Định Danh: biometric confirmation that unlocks a key, and the app's secret store, on iOS.
//
// The Rust side (crates/tauri-plugin-biometric-key) calls these commands through Tauri's
// PluginHandle::run_mobile_plugin. Names, arguments and error codes must match src/wire.rs
// and src/error.rs there.
//
// Why a key and not a flag: the signing key lives in the Secure Enclave with the access control
// [.privateKeyUsage, .biometryCurrentSet]. SecKeyCreateSignature itself makes the system ask
// for Face ID / Touch ID, and the Enclave signs only after that check; nothing here evaluates a
// policy and then trusts a Bool. What leaves this file is a signature the server verifies.

import CryptoKit
import Foundation
import LocalAuthentication
import Security
import SwiftRs
import Tauri
import UIKit
import WebKit

// Error codes: src/error.rs `native_code`.
private let unavailable = "unavailable"
private let notEnrolled = "notEnrolled"
private let noKey = "noKey"
private let keyInvalidated = "keyInvalidated"
private let cancelled = "cancelled"
private let lockout = "lockout"
private let keystoreFailure = "keystoreFailure"

/// Where the biometric enrolment the key was made under is remembered. Not a secret: it only
/// lets the plugin say "your Face ID changed" instead of a generic failure; the Enclave
/// refuses the invalidated key whatever this says.
private let domainStatePrefix = "vn.dinhdanh.biometrickey.domainState."

struct KeyArgs: Decodable {
  let alias: String
}

struct SignArgs: Decodable {
  let alias: String
  /// The bytes to sign, standard base64. The Enclave hashes them (SHA-256) itself.
  let message: String
  let title: String
  let subtitle: String
  let cancel: String
}

struct SecretArgs: Decodable {
  let namespace: String
  let name: String
  /// Standard base64; only for secretSet.
  let value: String?
}

struct StatusAnswer: Encodable {
  let available: Bool
  let enrolled: Bool
  let hasKey: Bool
  let secureElement: Bool
  let reason: String?
}

struct PublicKeyAnswer: Encodable {
  /// ANSI X9.63 uncompressed point (04 || X || Y), standard base64.
  let publicKey: String
}

struct SignAnswer: Encodable {
  /// DER ECDSA-Sig-Value, standard base64; the Rust side makes it low-S.
  let signature: String
}

struct SecretAnswer: Encodable {
  let value: String?
}

class BiometricKeyPlugin: Plugin {
  // Keychain and Enclave calls block (signing waits for the person); never on the main thread.
  private let queue = DispatchQueue(label: "vn.dinhdanh.biometrickey")

  // MARK: Biometric key

  @objc public func status(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(KeyArgs.self)
    queue.async {
      let context = LAContext()
      var error: NSError?
      let canEvaluate = context.canEvaluatePolicy(
        .deviceOwnerAuthenticationWithBiometrics, error: &error)
      let laCode = error.flatMap { LAError.Code(rawValue: $0.code) }
      var reason = error?.localizedDescription
      var hardware = SecureEnclave.isAvailable && (canEvaluate || laCode == .biometryNotEnrolled)
      if hardware && context.biometryType == .faceID && !Self.hasFaceIDUsageDescription() {
        hardware = false
        reason = "NSFaceIDUsageDescription is missing from Info.plist"
      }
      let hasKey = self.findKey(args.alias) != nil
      invoke.resolve(
        StatusAnswer(
          available: hardware,
          enrolled: canEvaluate,
          hasKey: hasKey,
          secureElement: hasKey,
          reason: reason
        ))
    }
  }

  @objc public func createKey(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(KeyArgs.self)
    queue.async {
      let context = LAContext()
      var error: NSError?
      guard context.canEvaluatePolicy(.deviceOwnerAuthenticationWithBiometrics, error: &error)
      else {
        let code = error.flatMap { LAError.Code(rawValue: $0.code) }
        invoke.reject(
          error?.localizedDescription ?? "biometrics unavailable",
          code: code == .biometryNotEnrolled ? notEnrolled : unavailable)
        return
      }
      guard SecureEnclave.isAvailable else {
        invoke.reject("no Secure Enclave on this device", code: unavailable)
        return
      }
      self.removeKey(args.alias)

      var accessError: Unmanaged<CFError>?
      // .biometryCurrentSet: a finger or face enrolled later cannot use the key;
      // ThisDeviceOnly: the key never leaves this phone (it cannot anyway: Enclave keys are
      // not exportable).
      guard
        let access = SecAccessControlCreateWithFlags(
          kCFAllocatorDefault,
          kSecAttrAccessibleWhenUnlockedThisDeviceOnly,
          [.privateKeyUsage, .biometryCurrentSet],
          &accessError)
      else {
        invoke.reject(Self.describe(accessError), code: keystoreFailure)
        return
      }
      let attributes: [String: Any] = [
        kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
        kSecAttrKeySizeInBits as String: 256,
        kSecAttrTokenID as String: kSecAttrTokenIDSecureEnclave,
        kSecPrivateKeyAttrs as String: [
          kSecAttrIsPermanent as String: true,
          kSecAttrApplicationTag as String: Self.tag(args.alias),
          kSecAttrAccessControl as String: access,
        ] as [String: Any],
      ]
      var keyError: Unmanaged<CFError>?
      guard let key = SecKeyCreateRandomKey(attributes as CFDictionary, &keyError) else {
        invoke.reject(Self.describe(keyError), code: keystoreFailure)
        return
      }
      UserDefaults.standard.set(
        context.evaluatedPolicyDomainState, forKey: domainStatePrefix + args.alias)
      self.resolvePublicKey(invoke, key)
    }
  }

  @objc public func publicKey(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(KeyArgs.self)
    queue.async {
      // Fetching the key reference and its public half needs no authentication.
      guard let key = self.findKey(args.alias) else {
        invoke.reject("no key for this profile", code: noKey)
        return
      }
      self.resolvePublicKey(invoke, key)
    }
  }

  @objc public func deleteKey(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(KeyArgs.self)
    queue.async {
      self.removeKey(args.alias)
      invoke.resolve()
    }
  }

  @objc public func sign(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(SignArgs.self)
    guard let message = Data(base64Encoded: args.message) else {
      invoke.reject("the message is not base64", code: keystoreFailure)
      return
    }
    queue.async {
      let context = LAContext()
      context.localizedCancelTitle = args.cancel
      // Hide "Enter Passcode": a .biometryCurrentSet key does not accept the passcode, and the
      // app's own PIN is the fallback.
      context.localizedFallbackTitle = ""
      context.touchIDAuthenticationAllowableReuseDuration = 0
      context.localizedReason = args.subtitle

      var error: NSError?
      if context.canEvaluatePolicy(.deviceOwnerAuthenticationWithBiometrics, error: &error),
        let made = UserDefaults.standard.data(forKey: domainStatePrefix + args.alias),
        let now = context.evaluatedPolicyDomainState, made != now
      {
        // Enrolment changed since the key was made: the Enclave will never use it again.
        self.removeKey(args.alias)
        invoke.reject("enrolled biometrics changed", code: keyInvalidated)
        return
      }

      guard let key = self.findKey(args.alias, context: context) else {
        invoke.reject("no key for this profile", code: noKey)
        return
      }
      var signError: Unmanaged<CFError>?
      // Blocks while the system shows Face ID / Touch ID for this key's access control.
      guard
        let der = SecKeyCreateSignature(
          key, .ecdsaSignatureMessageX962SHA256, message as CFData, &signError) as Data?
      else {
        let failure = signError?.takeRetainedValue()
        invoke.reject(
          failure.map { CFErrorCopyDescription($0) as String } ?? "signing failed",
          code: Self.code(for: failure))
        return
      }
      invoke.resolve(SignAnswer(signature: der.base64EncodedString()))
    }
  }

  private func resolvePublicKey(_ invoke: Invoke, _ key: SecKey) {
    var error: Unmanaged<CFError>?
    guard let publicKey = SecKeyCopyPublicKey(key),
      let point = SecKeyCopyExternalRepresentation(publicKey, &error) as Data?
    else {
      invoke.reject(Self.describe(error), code: keystoreFailure)
      return
    }
    invoke.resolve(PublicKeyAnswer(publicKey: point.base64EncodedString()))
  }

  private func findKey(_ alias: String, context: LAContext? = nil) -> SecKey? {
    var query: [String: Any] = [
      kSecClass as String: kSecClassKey,
      kSecAttrApplicationTag as String: Self.tag(alias),
      kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
      kSecReturnRef as String: true,
    ]
    if let context = context {
      // The signature then authenticates through this context: our reason and cancel label.
      query[kSecUseAuthenticationContext as String] = context
    }
    var item: CFTypeRef?
    guard SecItemCopyMatching(query as CFDictionary, &item) == errSecSuccess, let found = item
    else {
      return nil
    }
    return (found as! SecKey)
  }

  private func removeKey(_ alias: String) {
    let query: [String: Any] = [
      kSecClass as String: kSecClassKey,
      kSecAttrApplicationTag as String: Self.tag(alias),
      kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
    ]
    SecItemDelete(query as CFDictionary)
    UserDefaults.standard.removeObject(forKey: domainStatePrefix + alias)
  }

  private static func tag(_ alias: String) -> Data {
    return Data(alias.utf8)
  }

  private static func hasFaceIDUsageDescription() -> Bool {
    let text = Bundle.main.infoDictionary?["NSFaceIDUsageDescription"] as? String
    return !(text ?? "").isEmpty
  }

  private static func describe(_ error: Unmanaged<CFError>?) -> String {
    guard let error = error?.takeRetainedValue() else { return "unknown Security error" }
    return CFErrorCopyDescription(error) as String
  }

  private static func code(for error: CFError?) -> String {
    guard let error = error else { return keystoreFailure }
    let nsError = error as Error as NSError
    if nsError.domain == NSOSStatusErrorDomain && nsError.code == Int(errSecUserCanceled) {
      return cancelled
    }
    guard nsError.domain == LAErrorDomain, let laCode = LAError.Code(rawValue: nsError.code)
    else {
      return keystoreFailure
    }
    switch laCode {
    case .userCancel, .appCancel, .systemCancel, .userFallback:
      return cancelled
    case .biometryLockout:
      return lockout
    case .biometryNotEnrolled:
      return notEnrolled
    case .biometryNotAvailable:
      return unavailable
    default:
      return keystoreFailure
    }
  }

  // MARK: Secret store — Keychain generic passwords, this device only, never synchronised.

  @objc public func secretGet(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(SecretArgs.self)
    queue.async {
      var query = Self.secretQuery(args)
      query[kSecReturnData as String] = true
      query[kSecMatchLimit as String] = kSecMatchLimitOne
      var item: CFTypeRef?
      let status = SecItemCopyMatching(query as CFDictionary, &item)
      switch status {
      case errSecSuccess:
        guard let data = item as? Data else {
          invoke.reject("the Keychain returned no data", code: keystoreFailure)
          return
        }
        invoke.resolve(SecretAnswer(value: data.base64EncodedString()))
      case errSecItemNotFound:
        invoke.resolve(SecretAnswer(value: nil))
      default:
        invoke.reject(Self.describe(status), code: keystoreFailure)
      }
    }
  }

  @objc public func secretSet(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(SecretArgs.self)
    guard let text = args.value, let value = Data(base64Encoded: text) else {
      invoke.reject("secretSet needs a base64 value", code: keystoreFailure)
      return
    }
    queue.async {
      let query = Self.secretQuery(args)
      let update: [String: Any] = [
        kSecValueData as String: value,
        kSecAttrAccessible as String: kSecAttrAccessibleWhenUnlockedThisDeviceOnly,
      ]
      var status = SecItemUpdate(query as CFDictionary, update as CFDictionary)
      if status == errSecItemNotFound {
        var add = query
        add.merge(update) { _, new in new }
        status = SecItemAdd(add as CFDictionary, nil)
      }
      if status == errSecSuccess {
        invoke.resolve()
      } else {
        invoke.reject(Self.describe(status), code: keystoreFailure)
      }
    }
  }

  @objc public func secretDelete(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(SecretArgs.self)
    queue.async {
      let status = SecItemDelete(Self.secretQuery(args) as CFDictionary)
      if status == errSecSuccess || status == errSecItemNotFound {
        invoke.resolve()
      } else {
        invoke.reject(Self.describe(status), code: keystoreFailure)
      }
    }
  }

  private static func secretQuery(_ args: SecretArgs) -> [String: Any] {
    return [
      kSecClass as String: kSecClassGenericPassword,
      kSecAttrService as String: args.namespace,
      kSecAttrAccount as String: args.name,
      // Neither iCloud Keychain nor a backup restored onto another phone may carry the
      // device key or the session token.
      kSecAttrSynchronizable as String: false,
    ]
  }

  private static func describe(_ status: OSStatus) -> String {
    return (SecCopyErrorMessageString(status, nil) as String?) ?? "Keychain error \(status)"
  }
}

@_cdecl("init_plugin_biometric_key")
func initPlugin() -> Plugin {
  return BiometricKeyPlugin()
}
