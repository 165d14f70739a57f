//! The iOS modules: one file per artifact. For a backup, logical paths are `<domain>/<relativePath>` as
//! listed in the backup's Manifest.db (e.g. `HomeDomain/Library/SMS/sms.db`); the backup's own files are at
//! the root (`Info.plist`, `Manifest.plist`, `Status.plist`, `Manifest.db`). [`all`] is the backup's list;
//! the sysdiagnose kind's list is `crate::sysdiagnose::modules` (`sysdiagnose_info`, `shutdown_log`,
//! `crash_reports`, `processes`, `mobile_installation`, and `tcc`/`configuration_profiles` at the
//! sysdiagnose's paths). `shutdown_log` and `crash_reports` also cover filesystem-dump paths. The
//! filesystem-dump kind's list is `crate::ffs::all_modules`: its own modules (`filesystem`, `cache_files`,
//! `netusage`, `analytics`, `analytics_ios_versions`, `safari_favicon`, `ios_version_history`, the three
//! `webkit_*` folder modules, `nested_sysdiagnose`), this backup list but `backup_info` and `manifest`
//! (read through the dump's backup paths), `shutdown_log` and `crash_reports`.

use telltale_core::Module;

pub mod analytics;
pub mod analytics_ios_versions;
pub mod applications;
pub mod backup_info;
pub mod cache_files;
pub mod calendar;
pub mod calls;
pub mod chrome_favicon;
pub mod chrome_history;
pub mod configuration_profiles;
pub mod contacts;
pub mod crash_reports;
pub mod datausage;
pub mod filesystem;
pub mod firefox_favicon;
pub mod firefox_history;
pub mod global_preferences;
pub mod id_status_cache;
pub mod interaction_c;
pub mod ios_version_history;
pub mod locationd_clients;
pub mod manifest;
pub mod mobile_installation;
pub mod nested_sysdiagnose;
pub mod netusage;
pub mod os_analytics_ad_daily;
pub mod processes;
pub mod profile_events;
pub mod safari_browser_state;
pub mod safari_favicon;
pub mod safari_history;
pub mod shortcuts;
pub mod shutdown_log;
pub mod sms;
pub mod sms_attachments;
pub mod sysdiagnose_info;
pub mod tcc;
pub mod triangulation;
pub mod webkit_indexeddb;
pub mod webkit_local_storage;
pub mod webkit_resource_load_statistics;
pub mod webkit_safari_view_service;
pub mod webkit_session_resource_log;
pub mod webkit_website_data;
pub mod whatsapp;
pub mod whatsapp_contacts;

/// Every iOS backup module, in a stable order.
pub fn all() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(backup_info::BackupInfo),
        Box::new(configuration_profiles::ConfigurationProfiles),
        Box::new(manifest::Manifest),
        Box::new(profile_events::ProfileEvents),
        Box::new(applications::Applications),
        Box::new(global_preferences::GlobalPreferences),
        Box::new(calls::Calls),
        Box::new(contacts::Contacts),
        Box::new(id_status_cache::IdStatusCache),
        Box::new(interaction_c::InteractionC),
        Box::new(locationd_clients::LocationdClients),
        Box::new(os_analytics_ad_daily::OsAnalyticsAdDaily),
        Box::new(datausage::Datausage),
        Box::new(tcc::Tcc::BACKUP),
        Box::new(triangulation::Triangulation),
        Box::new(sms::Sms),
        Box::new(sms_attachments::SmsAttachments),
        Box::new(calendar::Calendar),
        Box::new(chrome_favicon::ChromeFavicon),
        Box::new(chrome_history::ChromeHistory),
        Box::new(firefox_favicon::FirefoxFavicon),
        Box::new(firefox_history::FirefoxHistory),
        Box::new(safari_browser_state::SafariBrowserState),
        Box::new(safari_history::SafariHistory),
        Box::new(webkit_resource_load_statistics::WebkitResourceLoadStatistics),
        Box::new(webkit_session_resource_log::WebkitSessionResourceLog),
        Box::new(webkit_website_data::WebkitWebsiteData),
        Box::new(whatsapp::Whatsapp),
        Box::new(whatsapp_contacts::WhatsappContacts),
        Box::new(shortcuts::Shortcuts),
    ]
}
