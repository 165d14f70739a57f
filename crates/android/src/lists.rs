//! Lists shared by the AndroidQF and bugreport modules (facts from MVT's lists).

/// Settings that weaken a protection: (key, safe value, what another value means) — MVT's list plus
/// unknown sources.
pub const DANGEROUS_SETTINGS: &[(&str, &str, &str)] = &[
    (
        "verifier_verify_adb_installs",
        "1",
        "disabled Google Play Services apps verification",
    ),
    (
        "package_verifier_enable",
        "1",
        "disabled Google Play Protect",
    ),
    (
        "package_verifier_state",
        "1",
        "disabled APK package verification",
    ),
    (
        "package_verifier_user_consent",
        "1",
        "disabled Google Play Protect",
    ),
    ("upload_apk_enable", "1", "disabled Google Play Protect"),
    (
        "adb_install_need_confirm",
        "1",
        "disabled confirmation of adb apps installation",
    ),
    (
        "send_security_reports",
        "1",
        "disabled sharing of security reports",
    ),
    (
        "samsung_errorlog_agree",
        "1",
        "disabled sharing of crash logs with manufacturer",
    ),
    (
        "send_action_app_error",
        "1",
        "disabled applications errors reports",
    ),
    (
        "accessibility_enabled",
        "0",
        "enabled accessibility services",
    ),
    (
        "install_non_market_apps",
        "0",
        "allowed installing apps from unknown sources",
    ),
];

/// Apps used to root a device or hide root (MVT's list).
pub const ROOT_PACKAGES: &[&str] = &[
    "com.noshufou.android.su",
    "com.noshufou.android.su.elite",
    "eu.chainfire.supersu",
    "com.koushikdutta.superuser",
    "com.thirdparty.superuser",
    "com.yellowes.su",
    "com.koushikdutta.rommanager",
    "com.koushikdutta.rommanager.license",
    "com.dimonvideo.luckypatcher",
    "com.chelpus.lackypatch",
    "com.ramdroid.appquarantine",
    "com.ramdroid.appquarantinepro",
    "com.devadvance.rootcloak",
    "com.devadvance.rootcloakplus",
    "de.robv.android.xposed.installer",
    "com.saurik.substrate",
    "com.zachspong.temprootremovejb",
    "com.amphoras.hidemyroot",
    "com.amphoras.hidemyrootadfree",
    "com.formyhm.hiderootPremium",
    "com.formyhm.hideroot",
    "me.phh.superuser",
    "eu.chainfire.supersu.pro",
    "com.kingouser.com",
    "com.topjohnwu.magisk",
];
