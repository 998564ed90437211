# referral ui：ローカルのウェブアプリ（client-cli/src/ui/）。

ui-app-name = 紹介窓口
ui-listening = ウェブアプリを { $url } で開きました。
    このパソコンからしか接続できません。このウィンドウは開いたままにしてください。終了するには Ctrl-C を押します。
ui-cannot-listen = { $address } で待ち受けできません。ほかのプログラムがこのポートを使っていないか確認してください。
ui-browser-not-opened = ブラウザーを開けませんでした。上のアドレスをブラウザーに貼り付けてください。
ui-skip-to-content = 本文へ移動
ui-nav-label = メインメニュー
ui-nav-inbox = 受信箱
ui-nav-cases = 案件一覧
ui-nav-new = 新規紹介
ui-nav-report = 集計
ui-nav-outbox = 送信待ち
ui-nav-admin = 管理
ui-lock = ロック
ui-desk-named = { $name }（{ $desk }）
ui-language-label = 表示言語
ui-trust-verified = 名簿を検証済み（{ $entries } 件、先頭 { $head }…、{ $at } に確認）
ui-trust-not-yet = ロック解除後、まだブローカーと名簿を照合していません。
ui-back-home = 受信箱に戻る
ui-refused-host = このアドレスはウェブアプリのものではありません。referral ui が表示したアドレスを開いてください。
ui-refused-no-session = このウェブアプリにサインインしていません。referral ui のウィンドウに表示されたアドレスを開いてください。すでに使ったアドレスの場合は、Ctrl-C で referral ui を止めてから、もう一度起動してください。
ui-refused-cross-site = ほかのサイトからの操作のため、受け付けませんでした。アプリ内のボタンから操作してください。
ui-failure-user = 処理できませんでした
ui-failure-broker = ブローカーに接続できませんでした
ui-failure-verification = 検証に失敗しました（内容は表示も保存もしていません）
ui-locked = アプリはロックされています。続けるにはパスフレーズを入力してください。
ui-unlock-title = ロック解除
ui-unlock-explain = この端末のキーストアのパスフレーズを入力してください。鍵はこのパソコンの外に出ることはなく、ロックするとメモリーから消去されます。
ui-unlock-passphrase = パスフレーズ
ui-unlock-button = ロックを解除
ui-unlock-lock-note = しばらく操作がないと自動でロックされます。すぐにロックするには「ロック」ボタンを押してください。
ui-unlock-wrong = パスフレーズが違います。入力モード（半角・全角）を確認して、もう一度入力してください。
ui-inbox-title = 受信箱
ui-inbox-caption = この窓口宛てに { $count } 件届いています。
ui-inbox-action = 操作
ui-inbox-open = 開く
