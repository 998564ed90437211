# パケットの受信・検証・送信：警告、お断り、進行状況。

progress-fetch = 受信
progress-upload = 送信
progress-seal = 暗号化
receive-attachment-renamed = 添付ファイル { $name } は { $path } として保存しました。同じ名前のファイルがあったか、別の名前に見える文字が含まれていたためです。
receive-not-for-this-device = { $error }：この端末宛てではありません（この端末が窓口に登録される前に暗号化されたか、別の窓口宛てです）。
receive-refused = このパケットは受け付けません：{ $error }。表示も保存もしていません。管理者に連絡してください。
receive-downgrade = このパケットは受け付けません：宛先の端末がすべて耐量子鍵を持っていたのに、従来方式の暗号で封かんされています（{ $signed }）。正規の送信プログラムはこのような封かんをしません。暗号を弱めようとする操作の可能性があります。表示も保存もしていません。管理者に連絡してください。
receive-classic-after-policy = このパケットは受け付けません：窓口名簿で耐量子暗号が必須になった後（{ $since }）に、従来方式の暗号で封かんされています（{ $signed }）。表示も保存もしていません。管理者に連絡し、送信者に再送を依頼してください。
receive-malformed = パケットの検証はできましたが、{ $content_type } の内容が正しくありません：{ $error }
receive-referral-not-v1 = この紹介は schema v1 に { $count }か所合っていません。送られたとおりに表示します：
    { $problems }
receive-unknown-content = パケットの検証はできましたが、内容の種類 { $content_type } はこのバージョンの referral では読めません。
receive-reply-not-kept = この端末には案件 { $thread } の記録がありません（別の端末で始めた案件です）。返信は表示しますが、この端末の案件記録には保存しません。
receive-not-a-party = 案件 { $thread } のパケット { $packet } は受け付けません。{ $sender } から { $recipient } への送信として署名されていますが、この案件は { $ours } と { $other } の間のものです。案件の当事者でない窓口は案件を変更できません。パケットは記録も受信確認もしていません。管理者に連絡してください。
receive-forward-forged = 転送 { $packet } は受け付けません。内容では { $claimed } からの転送となっていますが、署名は { $signer } のものです。表示も保存もしていません。管理者に連絡してください。
reply-needs-reason = 受付不可には理由が必要です。--reason "..." を指定してください（暗号化されます。中継サーバーには状況しか見えません）。
reply-needs-outcome = 完了には結果が必要です。--outcome "..." を指定してください（暗号化されます。中継サーバーには状況しか見えません）。
reply-text-too-long = --{ $name } が { $max }バイトを超えています。
attach-these-refused = これらのファイルは添付できません：{ $error }
attach-refused = { $path } は添付できません：{ $error }
attach-not-a-file = 通常のファイルではありません
attach-no-name = ファイル名がありません
