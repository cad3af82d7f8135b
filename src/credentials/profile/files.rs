//! Where the profile files are, which profile to use, and reading them: `credentials.ini`
//! (alibabacloud_credentials' `ProfileCredentialsProvider`) and the CLI's `config.json`.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::cli_config::parse_cli_config;
use super::ini::parse_ini_profile;
use super::{source_name, ProfileSpec};
use crate::credentials::context::{given, Fs};
use crate::credentials::CredentialsError;

/// Config files are a few KiB; a bigger one is not a config file.
pub(crate) const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// `HOME`, else `USERPROFILE` (Windows). The SDK tries `HOME`, then `HOMEPATH`, then
/// `expanduser("~")`; `HOMEPATH` lacks the drive, so `USERPROFILE` stands in for both.
fn home(lookup: &impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    given(lookup("HOME"))
        .or_else(|| given(lookup("USERPROFILE")))
        .map(PathBuf::from)
}

/// `ALIBABA_CLOUD_CREDENTIALS_FILE`, else `$HOME/.alibabacloud/credentials.ini`; None without
/// a home. (The SDK's legacy provider also tried `/.alibabacloud/credentials.ini`, "due to
/// historical mistakes"; the current one does not, nor does ossauth.)
pub fn ini_path(lookup: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(file) = given(lookup("ALIBABA_CLOUD_CREDENTIALS_FILE")) {
        return Some(PathBuf::from(file));
    }
    home(&lookup).map(|h| h.join(".alibabacloud").join("credentials.ini"))
}

/// `$HOME/.aliyun/config.json` (no variable overrides it, in the SDK either).
pub fn cli_config_path(lookup: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    home(&lookup).map(|h| h.join(".aliyun").join("config.json"))
}

/// The credentials.ini profile: `ALIBABA_CLOUD_PROFILE`, else `default`.
pub fn profile_name(lookup: impl Fn(&str) -> Option<String>) -> String {
    given(lookup("ALIBABA_CLOUD_PROFILE")).unwrap_or_else(|| "default".to_string())
}

/// The config.json profile: `ALIBABA_CLOUD_PROFILE`, else None, meaning the file's `current`
/// (the SDK's CLI provider has no "default" fallback, unlike its INI provider).
pub fn cli_profile_name(lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    given(lookup("ALIBABA_CLOUD_PROFILE"))
}

/// `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true` (any case) turns the config.json source off.
pub fn cli_profile_disabled(lookup: impl Fn(&str) -> Option<String>) -> bool {
    lookup("ALIBABA_CLOUD_CLI_PROFILE_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Reads `path` (at most 1 MiB) and parses it with [`parse_ini_profile`].
pub fn load_ini_profile(
    fs: &dyn Fs,
    path: &Path,
    profile: &str,
) -> Result<ProfileSpec, CredentialsError> {
    let shown = path.display().to_string();
    let text = read_capped(fs, path, source_name(profile, &shown))?;
    parse_ini_profile(&text, profile, &shown)
}

/// Reads `path` (at most 1 MiB) and parses it with [`parse_cli_config`].
pub fn load_cli_config(
    fs: &dyn Fs,
    path: &Path,
    profile: Option<&str>,
) -> Result<ProfileSpec, CredentialsError> {
    let shown = path.display().to_string();
    let text = read_capped(
        fs,
        path,
        source_name(profile.unwrap_or("(current)"), &shown),
    )?;
    parse_cli_config(&text, profile, &shown)
}

/// The file's text (zeroed on drop: it holds secrets). A missing file is "not configured"; a
/// FIFO, directory or device is refused at once rather than read (see
/// [`file`](mod@crate::credentials::file)).
fn read_capped(
    fs: &dyn Fs,
    path: &Path,
    source: String,
) -> Result<Zeroizing<String>, CredentialsError> {
    fs.read_text(path, MAX_FILE_BYTES).map_err(|e| {
        if e.is_missing() {
            CredentialsError::not_configured(source, e.to_string())
        } else {
            CredentialsError::config(source, e.to_string())
        }
    })
}

/// Which file, and how to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileFile {
    /// `[profile]` sections of credentials.ini.
    Ini { path: PathBuf, profile: String },
    /// The CLI's config.json; `None` is its `current` profile.
    Cli {
        path: PathBuf,
        profile: Option<String>,
    },
}

impl ProfileFile {
    /// A credentials.ini profile: `profile`, else `ALIBABA_CLOUD_PROFILE`, else `default`.
    pub fn ini(
        path: PathBuf,
        profile: Option<String>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Self {
        ProfileFile::Ini {
            path,
            profile: profile.unwrap_or_else(|| profile_name(lookup)),
        }
    }

    /// A config.json profile: `profile`, else `ALIBABA_CLOUD_PROFILE`, else the file's
    /// `current`.
    pub fn cli(
        path: PathBuf,
        profile: Option<String>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Self {
        ProfileFile::Cli {
            path,
            profile: profile.or_else(|| cli_profile_name(lookup)),
        }
    }

    /// A `.json` path is the CLI's config; anything else is read as INI.
    pub fn at(
        path: &Path,
        profile: Option<String>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Self {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            Self::cli(path.to_owned(), profile, lookup)
        } else {
            Self::ini(path.to_owned(), profile, lookup)
        }
    }

    /// Reads the file through `fs` and parses the profile.
    pub fn load(&self, fs: &dyn Fs) -> Result<ProfileSpec, CredentialsError> {
        match self {
            ProfileFile::Ini { path, profile } => load_ini_profile(fs, path, profile),
            ProfileFile::Cli { path, profile } => load_cli_config(fs, path, profile.as_deref()),
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            ProfileFile::Ini { path, .. } | ProfileFile::Cli { path, .. } => path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::context::RealFs;
    use crate::credentials::profile::cli_config::tests::config;
    use crate::credentials::test_util::env;

    // ----- paths and names

    #[test]
    fn paths_and_profile_names() {
        let e = env(&[("HOME", "/home/u")]);
        assert_eq!(
            ini_path(&e),
            Some(PathBuf::from("/home/u/.alibabacloud/credentials.ini"))
        );
        assert_eq!(
            cli_config_path(&e),
            Some(PathBuf::from("/home/u/.aliyun/config.json"))
        );
        assert_eq!(profile_name(&e), "default");
        assert_eq!(cli_profile_name(&e), None);
        assert!(!cli_profile_disabled(&e));

        let e = env(&[
            ("HOME", "/home/u"),
            ("ALIBABA_CLOUD_CREDENTIALS_FILE", "/etc/creds.ini"),
            ("ALIBABA_CLOUD_PROFILE", "dev"),
            ("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "TRUE"),
        ]);
        assert_eq!(ini_path(&e), Some(PathBuf::from("/etc/creds.ini")));
        assert_eq!(profile_name(&e), "dev");
        assert_eq!(cli_profile_name(&e).as_deref(), Some("dev"));
        assert!(cli_profile_disabled(&e));

        // Empty values count as unset; no home, no default path.
        let e = env(&[
            ("ALIBABA_CLOUD_CREDENTIALS_FILE", ""),
            ("ALIBABA_CLOUD_PROFILE", ""),
        ]);
        assert_eq!(ini_path(&e), None);
        assert_eq!(cli_config_path(&e), None);
        assert_eq!(profile_name(&e), "default");
        let e = env(&[("USERPROFILE", "C:\\Users\\u")]);
        assert!(ini_path(&e).is_some());
    }

    #[test]
    fn loading_files() {
        let dir = std::env::temp_dir().join(format!("ossauth-profile-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ini_file = dir.join("credentials.ini");
        std::fs::write(&ini_file, "[default]\ntype=ecs_ram_role\n").unwrap();
        assert!(matches!(
            load_ini_profile(&RealFs, &ini_file, "default").unwrap(),
            ProfileSpec::EcsRamRole { .. }
        ));
        let json_file = dir.join("config.json");
        std::fs::write(
            &json_file,
            config(serde_json::json!([{"name": "default", "mode": "EcsRamRole"}])),
        )
        .unwrap();
        assert!(matches!(
            load_cli_config(&RealFs, &json_file, None).unwrap(),
            ProfileSpec::EcsRamRole { .. }
        ));
        let missing = dir.join("missing.ini");
        let e = load_ini_profile(&RealFs, &missing, "dev")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!(
                "profile 'dev' in {}: no such file",
                missing.display()
            )),
            "{e}"
        );
        let big = dir.join("big.json");
        std::fs::write(&big, vec![b' '; (MAX_FILE_BYTES + 10) as usize]).unwrap();
        let e = load_cli_config(&RealFs, &big, Some("p"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("larger than"), "{e}");
        let binary = dir.join("binary.ini");
        std::fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
        assert!(load_ini_profile(&RealFs, &binary, "p")
            .unwrap_err()
            .to_string()
            .contains("not UTF-8"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn json_paths_are_the_cli_config() {
        let f = ProfileFile::at(Path::new("/h/.aliyun/config.json"), None, |_| None);
        assert!(matches!(f, ProfileFile::Cli { profile: None, .. }));
        let dev = |k: &str| (k == "ALIBABA_CLOUD_PROFILE").then(|| "dev".to_string());
        let f = ProfileFile::at(Path::new("/h/creds"), None, dev);
        assert_eq!(
            f,
            ProfileFile::Ini {
                path: "/h/creds".into(),
                profile: "dev".into()
            }
        );
    }
}
