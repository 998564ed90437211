# `referral outbox`：再送を待っている暗号化済みのパケット（ADR 0015）。

outbox-empty = 送信待ちのパケットはありません。
outbox-entry = { $id }  あて先：{ $desk }  { $size }  暗号化：{ $age }
outbox-hint = 再送するには、同じ send・reply・forward コマンドをもう一度実行してください（中継サーバーに二重に保存されることはありません）。送信を取りやめるには：referral outbox drop ID
outbox-dropped = パケット { $id }（あて先：{ $desk }）を送信待ちから削除しました。送信はされておらず、中継サーバー側には何の変更もありません。
outbox-size-kib = { $kib } KiB
outbox-size-mib = { $mib } MiB
outbox-age-now = たった今
outbox-age-minutes = { $count }分前
outbox-age-hours = { $count }時間前
outbox-age-days = { $count }日前
outbox-kept = 暗号化済みのパケット { $id }（あて先：{ $desk }）は送信待ちに保管されています。送信するには、同じコマンドをもう一度実行してください（中継サーバーに二重に保存されることはありません）。送信を取りやめるには：referral outbox drop { $id }
outbox-retrying = { $attempts }回中{ $attempt }回目の送信が中継サーバーに届きませんでした。{ $ms } ミリ秒後に同じパケットで再試行します。
outbox-interrupted = 中断しました。{ $kept }
