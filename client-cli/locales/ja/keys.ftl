# 端末の鍵の更新：referral rotate / rewrap。

rotate-done = 端末 { $device } の新しい鍵を作成しました。
rotate-new-fingerprint = 新しいフィンガープリント：{ $fingerprint }
rotate-previous-fingerprint = 以前のフィンガープリント：{ $fingerprint }
rotate-next = 古い鍵は使用終了として鍵ストアに残るため、以前のパケットも開けます。
    新しいフィンガープリントを管理者に読み上げてください。管理者は次のコマンドで承認します。
      referral admin approve { $request } --fingerprint "{ $fingerprint }"
    承認後、referral rewrap を実行して、未開封のパケットを新しい鍵に移してください。
rotate-revoked = この端末は失効しています。失効した端末の鍵は更新できません。
rotate-root-device = これはルート端末です。referral admin rotate-root を使用してください。
rotate-not-enrolled = この端末はまだ登録されていないため、窓口名簿に更新する鍵がありません。
rewrap-done = 未開封のパケット { $pending }件：現在の鍵に移したもの { $rewrapped }件、移動済み { $current }件、スキップ { $skipped }件。
rewrap-one = { $packet } を移しました
rewrap-skipped = パケット { $packet }：{ $reason }
rewrap-not-approved = この端末の最新の鍵はまだ窓口名簿に載っていません。先に管理者が鍵の更新を承認する必要があります（referral admin approve）。承認前は、送信者が古い鍵に暗号化し続けます。
rewrap-not-active = この端末は有効に登録された端末ではありません。
progress-rewrap = 鍵の移行
