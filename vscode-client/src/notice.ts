// The one notification that says the server is not running, and that goes away by itself when
// it runs again. VS Code cannot close a showErrorMessage toast (an error with buttons even stays
// until the user closes it), so this is a progress notification: it lasts exactly as long as
// its promise, which resolves on recovery. Its actions are command links in the text, because
// progress notifications have no buttons other than Cancel (which dismisses it).
import * as vscode from 'vscode';

export class FailureNotice implements vscode.Disposable {
  private finish: (() => void) | undefined;
  private report: ((message: string) => void) | undefined;

  // Shows `message` (or replaces the text of the notice already shown).
  show(message: string): void {
    const text = `${message} [Choose interpreter](command:litert.chooseInterpreter) · ` +
      '[Show output](command:litert.showOutput) · [Restart](command:litert.restartServer)';
    if (this.report !== undefined) {
      this.report(text);
      return;
    }
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'LiteRT', cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          const done = (): void => {
            if (this.finish === done) {
              this.finish = undefined;
              this.report = undefined;
            }
            resolve();
          };
          this.finish = done;
          this.report = (next) => progress.report({ message: next });
          token.onCancellationRequested(done);
          progress.report({ message: text });
        }),
    );
  }

  // The server runs again: the notice goes.
  clear(): void {
    this.finish?.();
  }

  dispose(): void {
    this.clear();
  }
}
