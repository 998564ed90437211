# 何が起きたか、次に何をすればよいかを伝えるエラー（ADR 0015）。

errors-refused = { $what }（中継サーバーのコード：{ $code }、HTTP { $status }）
refused-too-large = パケットが、中継サーバーで受け付けられる大きさを超えています。添付ファイルを小さく分けるか、解像度を下げてスキャンし直してから、もう一度送信してください。
refused-pending-cap = この窓口から送信し、まだ相手の窓口に受信されていないデータが上限に達しています。相手の窓口が受信するまでお待ちいただくか、中継サーバーの運用者にご相談ください。
refused-unknown-desk = その窓口は中継サーバーに登録されていません。`referral directory` で窓口名を確認してください。
refused-not-signed-in = 中継サーバーがこの端末の認証を受け付けませんでした。端末がまだ承認されていないか、取り消された可能性があります。管理者に確認してください。
refused-directory-private = 中継サーバーは、登録済みの端末か、招待コードで登録中の端末にしか窓口名簿を表示しません。先にこの端末を登録するか（referral enroll --code CODE）、端末が取り消されていないか確認してください。
refused-admin-only = この操作は管理者だけが行えます。
refused-unknown-id = この窓口あてのパケットまたは案件で、その ID のものは中継サーバーにありません。`referral inbox` または `referral cases` で ID を確認してください。
refused-gone = 期限が過ぎたため、中継サーバーにはもう保管されていません。送信元にもう一度送信するよう依頼してください。
refused-illegal-transition = 案件の今の状態からは、その状態に変更できません。`referral thread ID` で今の状態を確認してください。
refused-id-reused = 同じ ID の別のパケットが、すでに中継サーバーにあります。`referral outbox` で送信待ちを確認し、`referral outbox drop ID` で削除してから、もう一度送信してください。
refused-changed-meanwhile = 同時に別の変更が行われました。もう一度実行してください。
refused-invite-code = 招待コードが正しくないか、使用済みまたは期限切れです。管理者に新しいコードを依頼してください。
refused-bootstrap-code = 初期設定コードが正しくありません。中継サーバーのログに表示されたコードを確認してください。
refused-already-claimed = この中継サーバーは、すでに初期設定されています。
refused-not-bootstrapped = この中継サーバーは、まだ初期設定されていません。先に管理者が `referral admin bootstrap` を実行してください。
refused-wrong-broker = 中継サーバーの名前が、この端末に登録されている名前と異なります。中継サーバーのアドレスを確認してください。
refused-already-registered = この端末または鍵は、すでに登録されています。
refused-directory-change = 中継サーバーは、窓口名簿へのこの変更を受け付けませんでした。`referral admin pending` で申請を確認し、解決しない場合は別の管理者にご相談ください。
refused-too-slow = 送信に時間がかかりすぎたため、中継サーバーが受信を打ち切りました。接続を確認して、もう一度実行してください。
refused-malformed = 中継サーバーがこの要求を受け付けられませんでした。このプログラムと中継サーバーのバージョンが異なる可能性があります。referral を更新し、解決しない場合は中継サーバーの運用者にご連絡ください。
refused-other = 中継サーバーが要求を断りました：{ $message }

errors-unreachable = 中継サーバー（{ $broker }）に接続できません：{ $why } ネットワーク接続と中継サーバーのアドレスを確認してください。どちらも正しい場合は中継サーバーが停止している可能性があります。時間をおいて再度実行するか、運用者にお問い合わせください。
errors-unreachable-timeout = 時間内に応答がありませんでした。
errors-unreachable-connect = 接続できませんでした。
errors-unreachable-other = 通信が途中で切れました。

errors-packet-too-large = このパケットは暗号化すると { $size } MiB 以上になりますが、中継サーバーが受け付けるのは { $limit } MiB までです。暗号化も送信もしていません。添付ファイルを小さく分けるか、解像度を下げてスキャンし直してから、もう一度送信してください。

errors-no-such-desk = 確認済みの窓口名簿に「{ $desk }」という窓口はありません。`referral directory` で窓口の一覧を確認できます。
errors-no-such-desk-did-you-mean = 確認済みの窓口名簿に「{ $desk }」という窓口はありません。「{ $near }」のことですか。`referral directory` で窓口の一覧を確認できます。

errors-passphrase-again = パスフレーズが違います。もう一度入力してください（残り{ $left }回）。

errors-key-list-invalid = 復号した内容が正しい鍵の一覧ではありません（{ $line }行目、{ $column }文字目：{ $what }）
errors-key-list-io = 読み込みエラー
errors-key-list-syntax = JSON の形式が正しくありません
errors-key-list-data = 想定外の値です
errors-key-list-eof = 途中で終わっています
refused-broker-said = 中継サーバーからの説明：{ $message }
errors-unreachable-certificate = 中継サーバーの証明書を確認できませんでした。この端末が信頼する認証局の署名がないか、別のアドレス用の証明書です。アドレスを確認し、正しければ中継サーバーの運用担当者に証明書について問い合わせてください。
errors-post-quantum-required = 送信していません。窓口名簿で耐量子暗号が必須とされていますが、このパケットの宛先のうち { $count } 台の端末がまだ耐量子鍵を持っていません：
    { $devices }
    各端末の利用者に referral rotate の実行を、管理者にその承認を依頼してください。
warn-sealed-classic = このパケットの宛先のうち { $count } 台の端末がまだ耐量子鍵を持っていないため、従来方式の暗号で封かんしました：
    { $devices }
    各端末の利用者が referral rotate を実行し、管理者が承認すると、これらの窓口宛てのパケットは耐量子暗号で封かんされます。
