# referral new --interactive（client-cli/src/commands/new_interactive.rs）

new-ask-case-reference = 整理番号を入力してください
new-ask-need = ご相談の内容を選んでください。
new-ask-urgency = 緊急度を選んでください。
new-ask-summary = 窓口への概要を入力してください（状況と必要な支援）
new-ask-person-name = ご本人のお名前を入力してください
new-ask-preferred-language = ご本人の希望言語を選んでください。
new-ask-interpreter-needed = 通訳は必要ですか。
new-ask-phone = 電話番号を入力してください
new-ask-other-contact = その他の連絡先を入力してください（メッセージアプリなど）
new-ask-best-times = 連絡のつきやすい時間帯を入力してください
new-ask-desk-may-call = 窓口からご本人に直接電話してもよいですか。
new-ask-prefecture = お住まいの都道府県を選んでください。
new-ask-municipality = 市区町村を入力してください
new-ask-residence-category = 在留状況（ご本人の申告）を選んでください。
new-ask-documents-held = お持ちの書類を選んでください（複数の場合は番号をスペースまたはカンマで区切ってください）。
new-ask-consent-recorded = この紹介についてご本人の同意を記録しましたか。
new-ask-consent-scope = 紹介先の範囲を選んでください。
new-ask-obtained-at = 同意を得た日時を入力してください（Enter で現在: { $default }）
new-ask-consent-method = 同意を得た方法を入力してください（例：「電話で口頭」）
new-ask-consent-language = 同意を得たときの言語を選んでください。

new-optional = { $question }（任意。空欄のまま Enter で省略できます）
new-choice = { $number }. { $words }（{ $code }）
new-choose-one = 番号またはコードを入力してください：
new-choose-several = 番号またはコードを入力してください（複数可）：
new-yes = はい
new-no = いいえ
new-answer-refused = この回答は使えません：{ $reason }。もう一度入力してください。
new-no-such-number = その番号はありません。1～{ $count } から選んでください
new-not-a-choice = { $answer } は選択肢にありません（1～{ $count } の番号か、括弧内のコード）
new-required = この項目は入力が必要です
new-not-a-time = { $answer } は日時として読み取れません（例：{ $example }）
new-consent-needed = ご本人の同意が記録されていない紹介は送信できません。ご本人に確認して同意を記録してから「はい」と答えてください。
new-ask-consent-again = 同意の確認をもう一度行いますか。

new-written = 紹介を { $path } に保存しました。内容を確認してから、referral send --to 窓口名 { $path } で送信してください。
new-stopped-at-end = 最後の質問の前に入力が終了したため、何も保存していません。referral new --interactive をもう一度実行してください。
new-stopped-no-consent = ご本人の同意がないため中止しました。何も保存していません。同意を記録してから referral new --interactive をもう一度実行してください。
new-stopped-io = 回答の読み込みまたは質問の表示に失敗したため、何も保存していません。
new-stopped-invalid = 回答から有効な紹介を作成できなかったため、何も保存していません。以下の問題を添えてご報告ください。
new-cannot-write = 紹介を { $path } に保存できません（既存のファイルは上書きしません）。何も保存していません。
