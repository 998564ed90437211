# Finding a case and choosing a desk (cases --search, directory filters).

cases-search-none = No case in this device's case store matches “{ $query }”. Search by the case reference, the person's name or a phone number.
directory-desk-prefecture = prefecture: { $prefecture }
directory-desk-languages = languages: { $languages }
directory-filter-none = No desk in the directory matches --language and --prefecture. Try again with one of them only, or without them to see every desk.
directory-unknown-language = “{ $lang }” is not a known language code. Use a code from the list of languages, for example vi, en, ja or zh-Hans.
directory-unknown-prefecture = “{ $code }” is not a prefecture code. Use JP-01 to JP-47, for example JP-13 for Tokyo.
directory-post-quantum-required = post-quantum:   required (classic packets are refused)
directory-device-classic-only = classic keys only: run `referral rotate`
