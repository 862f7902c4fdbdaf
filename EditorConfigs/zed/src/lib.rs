//! Starts `dlsp` for Zed: the binary from `lsp.dlsp.binary.path` in settings.json, else `dlsp` on the PATH of the
//! project's shell; `lsp.dlsp.initialization_options` is passed through as the server's initializationOptions.
use zed_extension_api::{self as zed, serde_json, settings::LspSettings, LanguageServerId, Result};

struct Dlsp;

impl zed::Extension for Dlsp {
    fn new() -> Self {
        Dlsp
    }

    fn language_server_command(&mut self, id: &LanguageServerId, worktree: &zed::Worktree) -> Result<zed::Command> {
        let binary = LspSettings::for_worktree(id.as_ref(), worktree).ok().and_then(|settings| settings.binary);
        let path = binary
            .as_ref()
            .and_then(|binary| binary.path.clone())
            .or_else(|| worktree.which("dlsp"))
            .ok_or_else(|| {
                "dlsp was not found: put it on PATH or set lsp.dlsp.binary.path in settings.json".to_string()
            })?;
        Ok(zed::Command {
            command: path,
            args: binary.and_then(|binary| binary.arguments).unwrap_or_default(),
            env: Default::default(),
        })
    }

    fn language_server_initialization_options(
        &mut self,
        id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<serde_json::Value>> {
        Ok(LspSettings::for_worktree(id.as_ref(), worktree).ok().and_then(|settings| settings.initialization_options))
    }
}

zed::register_extension!(Dlsp);
