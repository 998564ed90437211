# 端末の準備：referral init / whoami / enroll。

device-created = { $home } に端末の鍵ストアを作成しました。
device-not-enrolled = （未登録）
device-label-id = 端末ID
device-label-fingerprint = フィンガープリント
device-label-age-recipient = age 受信者鍵
device-label-classic-recipient = 従来方式の鍵
device-post-quantum-recipient = { $start }…{ $end }（耐量子。全体は referral whoami --json で表示されます）
device-label-signing-key = 署名鍵
device-label-broker = 中継サーバー
device-label-root = 管理者ルート鍵
device-root-pinned = { $fingerprint }（固定済み）
device-root-not-pinned = 未固定（初回接続時に信頼します）
device-label-desk = 窓口
device-label-role = 役割
device-label-home = 保存場所
device-next-enroll = 次に、管理者から招待コードを受け取り、次のコマンドを実行してください。
      referral enroll --code 招待コード
    承認の前に、管理者から上のフィンガープリントを確認されます。
init-trust-on-first-use = --root-fingerprint の指定がないため、この端末は中継サーバーが最初に示す管理者のルート鍵を信頼します（初回接続時の信頼）。その時点で中継サーバーを操作できる人は、別のルート鍵にすり替えることができます。referral がルート鍵のフィンガープリントを表示したら、この端末を使い始める前に、管理者と別の手段（対面または電話）で照合してください。または、新しい --home で --root-fingerprint FP を指定して init をやり直してください。
init-bad-broker = --broker { $broker } は使用できません。
enroll-asked = 窓口 { $desk } に{ $role }として登録を申請しました。申請ID：{ $request }
enroll-fingerprint = フィンガープリント：{ $fingerprint }
enroll-next = このフィンガープリントを、対面または電話で管理者に読み上げてください（招待コードを受け取ったのとは別の手段で）。管理者は次のコマンドで承認します。
      referral admin approve { $request } --fingerprint "{ $fingerprint }"
    承認後、referral directory でこの端末が窓口に表示されます。
enroll-already-enrolled = この端末はすでに登録されています（窓口 { $desk }、役割 { $role }）。
enroll-unknown-desk = 招待は窓口 { $desk } 宛てですが、検証済みの窓口名簿にその窓口がありません。
enroll-fingerprint-differs = 中継サーバーが記録したフィンガープリントは { $recorded } ですが、この端末のものは { $fingerprint } です。この申請を承認させないでください。
