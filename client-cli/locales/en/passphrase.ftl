# The keystore's passphrase: prompts and refusals (client-cli/src/passphrase.rs,
# client-cli/src/passphrase/strength.rs).

passphrase-prompt-unlock = Passphrase for the keystore in { $home }:{ " " }
passphrase-prompt-create = Choose a passphrase for the new keystore in { $home }:{ " " }
passphrase-prompt-again = Type it again:{ " " }
passphrase-source-prompt = the passphrase
passphrase-source-file = the passphrase file { $path }
passphrase-env-not-utf8 = { $name } is not valid UTF-8
passphrase-none-available = no passphrase available: pass --passphrase-file FILE, set { $name }, or run in a terminal to be prompted
passphrase-file-unreadable = cannot read the passphrase file { $path }
passphrase-file-line-too-long = the first line of the passphrase file { $path } is longer than { $max } bytes
passphrase-file-not-utf8 = the passphrase file { $path } is not UTF-8
passphrase-terminal-unreadable = cannot read the passphrase from the terminal
passphrase-mismatch = the two passphrases differ; nothing was created
passphrase-empty = { $source } is empty; an empty passphrase is refused
passphrase-too-weak = { $source } is too weak: { $problem }
passphrase-too-short = it has { $chars ->
        [one] 1 character
       *[other] { $chars } characters
    }, and at least { $min } are required
passphrase-guessable = it would be guessed quickly
passphrase-advice = Choose a passphrase of four or more unrelated words, or a sentence only you would write (at least { $min } characters); avoid names, dates and well-known phrases.
