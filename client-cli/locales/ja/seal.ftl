# オフラインのパケットとその他の出力：referral seal / export-identity、結果の書き出し。

seal-done = { $desk } 宛ての紹介 { $packet } を { $file } に暗号化しました（{ $bytes }バイト、端末の鍵 { $keys }個に暗号化）。
seal-next = 受け取った窓口は referral unseal { $file } で開きます。
seal-no-directory = この端末にはまだ検証済みの窓口名簿がありません。中継サーバーに接続できるときに、一度 referral directory を実行してください。
seal-out-exists = { $file } はすでにあります。上書きしません。
seal-offline-directory = { $error }（オフラインのため、この端末が最後に検証した窓口名簿（項目 { $seq } まで）を使用しています。中継サーバーに接続できるときに referral directory を実行して最新にしてください）
export-identity-warning = この端末の秘密鍵（PRIVATE）を出力します。入手した人は、使用終了した鍵宛てのものも含め、この端末宛てのすべてのパケットを読むことができ、失効させても取り消せません。暗号化したオフラインの保存先にだけ書き出し、共有の端末、チャット、チケット、メールには決して書かないでください。ほかのコピーはすべて破棄してください。
output-cannot-write = 結果を標準出力に書き出せません。
report-cannot-format = 実績報告を作成できません。
report-cannot-write = 実績報告を標準出力に書き出せません。
