# 列挙値の表示名（client-cli/src/referral/words.rs）：紹介の項目、案件の状況、役割、言語名。


need-vaccination-voucher = ワクチン接種券
need-vaccination-booking = ワクチン接種の予約
need-interpretation = 通訳
need-medical = 医療
need-legal = 法律相談
need-housing = 住まい
need-labour = 仕事・労働
need-livelihood = 生活（お金・食料）
need-other = その他

urgency-low = 低
urgency-normal = 通常
urgency-high = 高
urgency-urgent = 至急

residence-resident-registered = 在留カードあり・住民登録あり
residence-short-term-3-months-or-less = 短期滞在（3か月以内）
residence-provisional-release = 仮放免
residence-applying-provisional-release = 仮放免を申請中
residence-undocumented = 在留資格なし
residence-unknown = 不明・回答なし

document-immigration-postcard = 入管からのはがき
document-passport = パスポート
document-proof-of-residency = 居住を証明する書類
document-provisional-release-permit = 仮放免許可書
document-none = なし

consent-this-desk = この窓口のみ
consent-onward-referral-allowed = この窓口と、その先への紹介

status-sent = 送信済み
status-received = 受信済み
status-accepted = 受付
status-rejected = 受付不可
status-in-progress = 対応中
status-completed = 完了
status-cancelled = 取消
status-forwarded = 転送
status-expired = 期限切れ

role-caseworker = 相談員
role-desk = 窓口
role-admin = 管理者

device-status-active = 有効
device-status-revoked = 失効

language-ja = 日本語（やさしい日本語）
language-en = 英語
language-zh-hans = 中国語（簡体字）
language-zh-hant = 中国語（繁体字）
language-ko = 韓国語
language-es = スペイン語
language-pt = ポルトガル語
language-vi = ベトナム語
language-ne = ネパール語
language-th = タイ語
language-id = インドネシア語
language-tl = タガログ語
language-my = ミャンマー語
language-km = クメール語
language-mn = モンゴル語
language-fr = フランス語
language-si = シンハラ語
language-ur = ウルドゥー語
language-bn = ベンガル語
language-ar = アラビア語
language-fa = ペルシア語
language-ms = マレー語
language-ru = ロシア語
