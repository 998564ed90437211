# referral cases：この端末の案件一覧。

cases-none = 案件はありません。
cases-column-thread = 案件ID
cases-column-status = 状況
cases-column-direction = 送受信
cases-column-other-desk = 相手の窓口
cases-column-need = 相談内容
cases-column-language = 言語
cases-column-prefecture = 都道府県
cases-column-referred = 紹介日時
cases-direction-sent = 送信
cases-direction-received = 受信
cases-footnote-broker = * 中継サーバーからの報告です（署名付きのパケットではありません）
cases-count = { $count }件。詳細は referral thread 案件ID で確認できます。
cases-bad-status = --status：{ $error }
