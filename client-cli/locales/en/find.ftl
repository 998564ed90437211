# Finding a case and choosing a desk (cases --search, directory filters).

cases-search-none = No case in this device's case store matches “{ $query }”. Search by the case reference, the person's name or a phone number.
