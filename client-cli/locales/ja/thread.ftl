# referral thread：案件の経過。

thread-title = 案件 { $thread }：{ $status }
thread-status-from-broker = { $status }（中継サーバーからの報告）
thread-sent-to = 送信先：{ $desk }
thread-received-from = 送信元：{ $desk }
thread-offline = （オフライン：この端末の記録のみ表示しています）
thread-offline-warning = この端末の記録だけを表示します。
thread-event-by = （{ $desk }）
thread-event-unsigned = { "  " }（中継サーバーからの報告・署名なし）
thread-no-case = この窓口には案件 { $thread } がありません。この端末の案件は referral cases で確認できます。
thread-unknown-status = 中継サーバーが不明な状況を返しました：{ $error }
