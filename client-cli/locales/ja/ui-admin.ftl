# `referral ui`: 管理者向けページと送信待ち
# (client-cli/src/ui/routes/admin/)

ui-admin-title = 管理
ui-admin-intro = 新しい端末の承認、招待コードの発行、端末の失効、窓口名簿の記録の確認ができます。
ui-admin-pending-title = 承認待ち
ui-admin-pending-about = 新しい端末や、既存端末の鍵の更新です。フィンガープリントを照合してから承認します。
ui-admin-invites-title = 招待
ui-admin-invites-about = 新しいメンバーの端末が窓口に参加を申請するための、一度だけ使えるコードです。
ui-admin-devices-title = 端末
ui-admin-devices-about = 窓口名簿に登録された全端末を窓口ごとに表示します。紛失した端末や使わなくなった端末は失効させてください。
ui-admin-audit-title = 窓口名簿の記録
ui-admin-audit-about = 窓口名簿のすべての変更と署名者、その検証結果です。
ui-admin-not-admin-title = 管理者専用のページです
ui-admin-not-admin = この端末は窓口名簿上の管理者ではありません。承認・招待・失効ができるのは、ルート端末と管理者として登録された端末だけです。
ui-admin-not-admin-next = 操作が必要な場合は管理者に依頼するか、ご自身の端末用に管理者役割の招待コードを発行してもらってください。窓口名簿の記録の閲覧はこの端末でもできます。

ui-admin-fingerprint-spoken = フィンガープリント：{ $digits }
ui-admin-desk = 窓口
ui-admin-role = 役割
ui-admin-device = 端末
ui-admin-status = 状態
ui-admin-fingerprint = フィンガープリント
ui-admin-action = 操作
ui-admin-cancel = キャンセル

ui-admin-pending-explain = 承認の前に、端末の持ち主に電話か対面で連絡し、端末に表示されたフィンガープリントを読み上げてもらってください。それを入力し、一致した場合にだけ承認できます。
ui-admin-request-enrollment = 新しい端末
ui-admin-request-rotation = 既存端末の鍵の更新
ui-admin-requested = 申請日時
ui-admin-typed-fingerprint = 持ち主が読み上げたフィンガープリント
ui-admin-typed-fingerprint-hint = 英数字64文字です。空白や大文字・小文字の違いは問いません。
ui-admin-approve-button = 承認する
ui-admin-approve-mismatch = この申請のフィンガープリントと一致しません。承認は行われていません。もう一度読み上げてもらい、それでも違う場合は承認しないでください。別の人が申請した可能性があります。
ui-admin-approve-gone = この申請はすでに承認待ちではありません。他の管理者が承認したか、期限が切れた可能性があります。承認は行われていません。
ui-admin-approved = 承認しました。端末が窓口名簿に登録されました（項目 { $seq }）。

ui-admin-invite-new = 新しい招待
ui-admin-invite-choose-desk = 窓口を選んでください
ui-admin-invite-no-desks = 窓口名簿にまだ窓口がありません。先に `referral admin desk add` で窓口を作成してください。
ui-admin-invite-pick-desk = 新しいメンバーが参加する窓口を選んでください。
ui-admin-invite-valid = コードは{ $hours }時間以内に一度だけ使えます。
ui-admin-invite-button = 招待コードを発行する
ui-admin-invite-made = 招待コードを発行しました
ui-admin-invite-code = 招待コード：
ui-admin-invite-shown-once = このコードが表示されるのは今回だけです。今すぐ控えるか、相手に伝えてください。
ui-admin-invite-tell = コードは本人に直接（対面か電話で）伝えてください。メールでは送らないでください。本人の端末で `referral init` に続けてこのコードで `referral enroll` を実行すると、端末にフィンガープリントが表示されます。それを読み上げてもらったら、「承認待ち」から承認してください。

ui-admin-devices-no-desk = 窓口に属さない管理者
ui-admin-devices-none = 端末はまだありません。
ui-admin-devices-back = 端末一覧に戻る
ui-admin-this-device = この端末
ui-admin-keys-expired = 鍵の有効期間切れ：新しいパケットを受け取れません
ui-admin-classic-only = 従来方式の鍵のみ：referral rotate を実行するまで、この窓口とのパケットは従来方式の暗号になります
ui-admin-revoke-link = 失効させる…
ui-admin-revoke-title = 端末の失効
ui-admin-revoke-explain = 失効は取り消せません。この端末からの次の要求以降、中継サーバーは受け付けなくなり、新しいパケットもこの端末宛てには暗号化されません。再び使うには、新しい招待コードで登録し直す必要があります。
ui-admin-revoke-this-device = これは今お使いの端末です。失効させると、この端末から中継サーバーに接続できなくなります。
ui-admin-revoke-button = この端末を失効させる
ui-admin-revoke-no-device = このIDの有効な端末は窓口名簿にありません。すでに失効している可能性があります。
ui-admin-revoked = 失効させました（窓口名簿の項目 { $seq }）。

ui-admin-audit-verified = 検証済み：すべての記録が管理者により署名され、固定したルートまでつながっています。この端末の控えとも矛盾はありません。
ui-admin-audit-cached = これはこの端末が検証済みの控えです。中継サーバーから記録全体を取得し、固定したルートから検証し直すには、ボタンを押してください。
ui-admin-audit-verify-button = 記録全体を検証する
ui-admin-audit-root = 固定したルート
ui-admin-audit-head = 最新の記録
ui-admin-audit-caption = 記録 { $count } 件（新しい順）
ui-admin-audit-seq = 番号
ui-admin-audit-time = 署名日時
ui-admin-audit-kind = 変更内容
ui-admin-audit-subject = 対象
ui-admin-audit-signer = 署名者

ui-admin-kind-genesis = 窓口名簿の作成
ui-admin-kind-desk-created = 窓口の作成
ui-admin-kind-device-enrolled = 端末の登録
ui-admin-kind-device-rotated = 端末の鍵の更新
ui-admin-kind-device-revoked = 端末の失効
ui-admin-kind-root-rotated = 管理者ルートの引き継ぎ
ui-admin-kind-token-key-rotated = 中継サーバーのトークン鍵の更新
ui-admin-kind-key-age-policy = 鍵の有効期間の設定

ui-outbox-title = 送信待ち
ui-outbox-explain = 封をしたものの、中継サーバーの受領確認がまだないパケットです。多くは中継サーバーに接続できなかったことが原因です。
ui-outbox-caption = 送信待ち { $count } 件
ui-outbox-to = 宛先窓口
ui-outbox-sealed = 封をした日時
ui-outbox-size = サイズ
ui-outbox-packet = パケット
ui-outbox-drop-link = 送信をやめる…
ui-outbox-resend-how = 送り直すには、同じ操作（同じ紹介・返信・転送）をもう一度行ってください。封をした同じパケットが送られ、中継サーバーに重複して保存されることはありません。
ui-outbox-drop-title = 送信の取りやめ
ui-outbox-drop-explain = このパケットは送信されずに削除されます。相手の窓口には届きません。やはり送る場合は、もう一度作成し直す必要があります。
ui-outbox-drop-button = 送信せずに削除する
ui-outbox-dropped = パケットを送信せずに削除しました。
ui-outbox-not-waiting = このパケットはもう送信待ちにありません。送信済みか、削除された可能性があります。
ui-outbox-back = 送信待ちに戻る
