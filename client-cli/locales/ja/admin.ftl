# 管理者のコマンド：初期設定、窓口、招待、承認、失効、鍵の有効期間。

admin-bootstrap-done = 中継サーバー { $broker } の管理を開始しました。
    この端末（{ $device }）が管理者のルートになりました。
admin-root-fingerprint = ルートのフィンガープリント：{ $fingerprint }
admin-bootstrap-next = このフィンガープリントを、すべての相談員と窓口の担当者に渡してください。次のコマンドで使います。
      referral init --broker { $broker } --root-fingerprint "{ $fingerprint }"
    次に：referral admin desk add ID --name 名前
admin-desk-created = 窓口 { $desk }（{ $name }）を作成しました（窓口名簿の項目 { $seq }）。
admin-desk-next = 次に：referral admin invite --desk { $desk } --role desk|caseworker
admin-key-policy-set = { $days }日より古い端末の鍵には、新しいパケットが暗号化されなくなります（窓口名簿の項目 { $seq }）。該当する端末の利用者には referral rotate の実行を案内します。
admin-key-policy-lifted = 鍵の有効期間の制限を解除しました（窓口名簿の項目 { $seq }）。
admin-key-policy-pq-required = 今後はパケットを耐量子暗号で封かんすることが必須になりました（窓口名簿の項目 { $seq }）。従来の鍵への封かんは拒否され、この時点より後に署名された従来方式のパケットは受け取り側で拒否されます。
admin-key-policy-pq-lifted = 耐量子暗号の必須設定を解除しました（窓口名簿の項目 { $seq }）。全端末が耐量子鍵を持つ窓口には、引き続き耐量子暗号でパケットが送られます。
admin-key-policy-pq-holding-back = 耐量子鍵をまだ持っていない端末が { $count } 台あります。利用者が referral rotate を実行し、管理者が承認するまで、その窓口とはパケットを送受信できません：
admin-invite-code = 招待コード：{ $code }
admin-invite-for = 窓口 { $desk } の{ $role }用、有効期限 { $until }。
admin-invite-next = このコードは新しい担当者に個別に渡してください。担当者の端末で次を実行します。
      referral init --broker URL --root-fingerprint FP
      referral enroll --code { $code }
    その後、読み上げられたフィンガープリントを確認して、次を実行してください。
      referral admin approve 申請ID --fingerprint FP
admin-pending-none = 承認待ちの申請はありません。
admin-request-enrollment = 登録
admin-request-rotation = 鍵の更新
admin-pending-line = 窓口 { $desk }  役割 { $role }  端末 { $device }  申請 { $since }
admin-fingerprint = フィンガープリント { $fingerprint }
admin-pending-next = それぞれのフィンガープリントを端末の利用者と（対面または電話で）照合してから、次を実行してください。
      referral admin approve 申請ID --fingerprint FP
admin-approved-enrollment = 端末 { $device } を登録しました（窓口 { $desk }、役割 { $role }、窓口名簿の項目 { $seq }）。
admin-approved-rotation = 端末 { $device } の新しい鍵を承認しました（窓口 { $desk }、役割 { $role }、窓口名簿の項目 { $seq }）。
admin-revoked = 端末 { $device } を失効させました（窓口 { $desk }、窓口名簿の項目 { $seq }）。
admin-revoked-next = 中継サーバーは次のリクエストからこの端末を拒否します。各端末は次に窓口名簿を同期したときから、この端末宛ての暗号化をやめます。
admin-broker-key-rotated = 中継サーバーはトークンの署名に鍵 { $kid } を使うようになりました（窓口名簿の項目 { $seq }）。
admin-broker-key-old-tokens = 以前の鍵で署名されたトークンは、期限が切れるまで（最長15分）有効です。
admin-root-rotated = 管理者のルートを、この端末の新しい鍵に移しました（窓口名簿の項目 { $seq }）。
admin-root-new = 新しいルート：{ $fingerprint }
admin-root-previous = 以前のルート：{ $fingerprint }
admin-root-rotated-next = 設定済みの端末はそのまま使えます。以前のルートと新しいルートの両方が署名した引き継ぎを検証するためです。新しい端末では、引き続き referral directory が示す最初のルートのフィンガープリントを固定してください。
admin-root-not-held = ルートを引き継げるのはルート端末だけです。この端末は現在のルート鍵を持っていません。
admin-root-key-lost = 鍵ストアにルート鍵がなくなっています。
