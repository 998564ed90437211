# referral-broker が運用担当者の端末に表示する文言。ログは英語のまま（ADR 0012）。

purge-done = 受信確認済みのパケット { $purged } 件を削除し、未読のまま期限切れのパケット { $expired } 件を失効させ、異常終了時に残った一時ファイル { $spool_files } 件を削除しました。
