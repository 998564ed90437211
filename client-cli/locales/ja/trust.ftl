# 中継サーバーへのサインインと検証済みの窓口名簿。

session-device-revoked = この端末は管理者によって失効されたため、中継サーバーを利用できません。引き続き必要な場合は、新しい端末を準備してください（referral init、enroll）。
session-not-enrolled = この端末はまだ窓口名簿に載っていません。referral enroll --code CODE を実行し、管理者に承認を依頼してください。
session-awaiting-approval = 中継サーバーはまだこの端末を認識していません。referral enroll を実行済みの場合は、管理者の承認待ちです。管理者に referral admin pending の実行を依頼してください。まだの場合は、先に referral enroll --code CODE で登録してください。
session-key-not-held = 窓口名簿にあるこの端末の署名鍵が、鍵ストアにありません。鍵ストアが差し替えられたか、別のコピーから鍵が更新されています。
session-no-desk = この端末はどの窓口にも有効に登録されていません。窓口の招待コードで登録し（referral enroll --code CODE）、承認を受けてください。
session-bad-challenge = 中継サーバーからのチャレンジが base64 ではありません。
trust-cache-too-large = { $path } が { $max }バイトを超えています。窓口名簿のキャッシュではありません。
trust-cache-invalid = 窓口名簿のキャッシュ { $path } を検証できません（{ $error }）。壊れているか、変更されています。別の場所に移してから referral directory を実行し、取得と検証をやり直してください。
trust-no-directory = { $broker } の中継サーバーにはまだ窓口名簿がありません。先に管理者が referral admin bootstrap --code CODE を実行する必要があります。
trust-cannot-write = { $path } に書き込めません：{ $error }
trust-advice-rollback = 中継サーバーが、この端末が確認済みのものより古い窓口名簿を返しています。失効や鍵の更新を隠している可能性があります。
trust-advice-fork = 中継サーバーが、この端末が検証したものとは異なる履歴を返しています。端末ごとに異なる鍵を見せている者がいる可能性があります。
trust-advice-root-mismatch = 窓口名簿のルートが、この端末で固定した管理者の鍵と異なります。
trust-advice-unsigned = 中継サーバーが、どの管理者も署名していない窓口名簿の項目を返しました。
trust-refused = 中継サーバーの窓口名簿は受け付けません：{ $error }。{ $advice }何も変更していません。管理者に連絡してください。
trust-first-use = 初回接続のため、管理者のルート鍵 { $root } を信頼します。
    このフィンガープリントを、別の手段（対面または電話）で管理者と照合してください。
    異なる場合はこの端末の使用を中止してください。中継サーバーがルート鍵をすり替えた可能性があります。
trust-device-revoked = この端末は管理者によって失効されました。サインインできず、この端末宛てに暗号化されることもありません。
trust-keys-expired = この端末の鍵は窓口名簿で定める有効期間を過ぎているため、新しいパケットはこの鍵に暗号化されません。referral rotate を実行してください。
