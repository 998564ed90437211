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
# 保存期間を過ぎて中継サーバーから削除された案件（ADR 0019 §1）。
case-closed-at-broker = 案件 { $thread } は中継サーバー上で終了しています。終了から一定期間が過ぎたため、保存期間に従って中継サーバーから削除されました。この案件にはもう送信できません。案件の経過はこの端末に残っています（referral thread { $thread } で確認できます）。引き続き支援が必要な方には、新しく紹介を作成して送ってください（referral new --interactive のあと referral send）。
thread-closed-at-broker = この案件は中継サーバーにはもうありません。終了から一定期間が過ぎたため、保存期間に従って削除されました。以下はこの端末に残っている経過です。引き続き支援が必要な方には、新しく紹介を送ってください。
