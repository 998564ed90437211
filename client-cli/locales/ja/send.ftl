# referral send / reply / forward：送信結果と、暗号化前のお断り。

send-done = { $desk } に{ $kind } { $packet } を送信しました（{ $bytes }バイト、添付ファイル { $attachments }件、端末の鍵 { $keys }個に暗号化）。
send-thread = 案件ID：{ $thread }
send-next = 案件の経過は referral thread { $thread } で確認できます。
send-cannot-read = { $path } を読み込めません：{ $error }
reply-done = 案件 { $thread } に返信しました。現在の状況は「{ $status }」です（パケット { $packet }、{ $bytes }バイト、宛先 { $desk }）。
reply-refused-as-recipient = この案件は現在「{ $current_words }」（{ $current }）です。紹介を受けた窓口として { $status } にすることはできません。
reply-refused-as-sender = この案件は現在「{ $current_words }」（{ $current }）です。紹介した窓口として { $status } にすることはできません。
reply-open-first = 先に紹介を開いてください（referral inbox、referral open パケットID）。開くと受信が確認され、回答できるようになります。
reply-no-further-change = これ以上状況を変えることはできません。
reply-possible-now = 現在指定できるもの：{ $statuses }
reply-no-local-record = この端末には案件 { $thread } の記録がありません（別の端末で開かれた案件です）。返信は送信しましたが、案件の記録はその端末にだけあります。
forward-random-failed = システムの乱数生成に失敗しました。
forward-cannot-create = { $path } を作成できません：{ $error }
forward-to-own-desk = この案件はすでに { $desk } にあります。別の窓口を指定してください。
forward-not-opened = この端末ではまだパケット { $packet } を開いていません。先に referral open { $packet } を実行してください。
forward-only-recipient = 転送できるのは紹介を受けた窓口だけです。この紹介はこの窓口から送ったものです。
forward-is-a-reply = パケット { $packet } は返信です。案件の最初の紹介を転送してください。
forward-no-consent = ご本人の同意が他の窓口への紹介を認めていないため（consent.scope が { $allowed } ではなく { $scope }）、転送しませんでした。紹介元の相談員が先にご本人の同意を記録する必要があります。
forward-attachment-not-saved = 添付ファイル { $name } を保存できませんでした。
