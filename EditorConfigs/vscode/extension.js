// The dlsp extension for VS Code: starts `dlsp` over stdio with vscode-languageclient, which brings completion,
// code actions and rename; adds ghost text by forwarding VS Code's inline-completion requests to dlsp's
// textDocument/inlineCompletion (vscode-languageclient 9 has no built-in support for that LSP 3.18 request).
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

const LANGUAGES = ["python", "c", "cpp", "javascript", "typescript", "rust", "go", "swift", "java", "ruby", "shellscript"];
const selector = LANGUAGES.map((language) => ({ scheme: "file", language }));

let client;

function serverCommand() {
  const configured = vscode.workspace.getConfiguration("dlsp").get("path");
  return configured || process.env.DLSP_BIN || "dlsp";
}

async function start(context) {
  const config = vscode.workspace.getConfiguration("dlsp");
  const executable = { command: serverCommand(), args: [], transport: TransportKind.stdio };
  client = new LanguageClient(
    "dlsp",
    "dlsp",
    { run: executable, debug: executable },
    {
      documentSelector: selector,
      initializationOptions: config.get("initializationOptions"),
      outputChannelName: "dlsp",
    },
  );
  await client.start();
}

/** Ghost text: VS Code asks, dlsp answers textDocument/inlineCompletion, VS Code shows the items. */
const inlineProvider = {
  async provideInlineCompletionItems(document, position, context, token) {
    if (!client || !client.isRunning()) return [];
    const params = {
      textDocument: client.code2ProtocolConverter.asTextDocumentIdentifier(document),
      position: client.code2ProtocolConverter.asPosition(position),
      // LSP: 1 invoked, 2 automatic; VS Code: Invoke 0, Automatic 1.
      context: { triggerKind: context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke ? 1 : 2 },
    };
    let result;
    try {
      result = await client.sendRequest("textDocument/inlineCompletion", params, token);
    } catch (error) {
      return []; // cancelled, superseded or ContentModified: nothing to show
    }
    const items = Array.isArray(result) ? result : (result && result.items) || [];
    return items.map((item) => {
      const text = typeof item.insertText === "string" ? item.insertText : item.insertText.value;
      const range = item.range ? client.protocol2CodeConverter.asRange(item.range) : undefined;
      return new vscode.InlineCompletionItem(text, range);
    });
  },
};

async function activate(context) {
  await start(context);
  if (vscode.workspace.getConfiguration("dlsp").get("ghostText")) {
    context.subscriptions.push(vscode.languages.registerInlineCompletionItemProvider(selector, inlineProvider));
  }
  context.subscriptions.push(
    vscode.commands.registerCommand("dlsp.restart", async () => {
      if (client) await client.stop();
      await start(context);
    }),
  );
}

async function deactivate() {
  if (client) await client.stop();
}

module.exports = { activate, deactivate };
