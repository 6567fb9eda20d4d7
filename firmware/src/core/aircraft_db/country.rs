//! Country of registration from a 24-bit ICAO aircraft address.
//!
//! ICAO allocates the address space to States in blocks, listed in Annex 10,
//! Volume III, Part I, Chapter 9, Table 9-1 "Allocation of aircraft addresses
//! to States" (second edition, as amended by Amendment 92). `ALLOCATIONS` is that
//! table with each block's bit pattern written out as its first and last address.

/// The State an address block is allocated to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country {
    /// Short English name, e.g. "United Kingdom", or "ICAO (temporary)" for a
    /// block ICAO keeps for itself.
    pub name: &'static str,
    /// ISO 3166-1 alpha-2 code, e.g. "GB"; empty for the ICAO blocks.
    pub iso: &'static str,
}

/// The State whose block contains `icao`, or `None` when the address lies in
/// no allocated block (unallocated, regional reserve, or wider than 24 bits).
pub fn country(icao: u32) -> Option<Country> {
    let index = ALLOCATIONS.partition_point(|&(_, last, _, _)| last < icao);
    let &(first, _, name, iso) = ALLOCATIONS.get(index)?;
    (first <= icao).then_some(Country { name, iso })
}

/// Address blocks as `(first, last, name, iso)`, inclusive, sorted by address
/// and never overlapping.
static ALLOCATIONS: &[(u32, u32, &str, &str)] = &[
    (0x004000, 0x0047FF, "Zimbabwe", "ZW"),
    (0x006000, 0x006FFF, "Mozambique", "MZ"),
    (0x008000, 0x00FFFF, "South Africa", "ZA"),
    (0x010000, 0x017FFF, "Egypt", "EG"),
    (0x018000, 0x01FFFF, "Libya", "LY"),
    (0x020000, 0x027FFF, "Morocco", "MA"),
    (0x028000, 0x02FFFF, "Tunisia", "TN"),
    (0x030000, 0x0307FF, "Botswana", "BW"),
    (0x032000, 0x032FFF, "Burundi", "BI"),
    (0x034000, 0x034FFF, "Cameroon", "CM"),
    (0x035000, 0x0357FF, "Comoros", "KM"),
    (0x036000, 0x036FFF, "Congo", "CG"),
    (0x038000, 0x038FFF, "Cote d'Ivoire", "CI"),
    (0x03E000, 0x03EFFF, "Gabon", "GA"),
    (0x040000, 0x040FFF, "Ethiopia", "ET"),
    (0x042000, 0x042FFF, "Equatorial Guinea", "GQ"),
    (0x044000, 0x044FFF, "Ghana", "GH"),
    (0x046000, 0x046FFF, "Guinea", "GN"),
    (0x048000, 0x0487FF, "Guinea-Bissau", "GW"),
    (0x04A000, 0x04A7FF, "Lesotho", "LS"),
    (0x04C000, 0x04CFFF, "Kenya", "KE"),
    (0x050000, 0x050FFF, "Liberia", "LR"),
    (0x054000, 0x054FFF, "Madagascar", "MG"),
    (0x058000, 0x058FFF, "Malawi", "MW"),
    (0x05A000, 0x05A7FF, "Maldives", "MV"),
    (0x05C000, 0x05CFFF, "Mali", "ML"),
    (0x05E000, 0x05E7FF, "Mauritania", "MR"),
    (0x060000, 0x0607FF, "Mauritius", "MU"),
    (0x062000, 0x062FFF, "Niger", "NE"),
    (0x064000, 0x064FFF, "Nigeria", "NG"),
    (0x068000, 0x068FFF, "Uganda", "UG"),
    (0x06A000, 0x06AFFF, "Qatar", "QA"),
    (0x06C000, 0x06CFFF, "Central African Republic", "CF"),
    (0x06E000, 0x06EFFF, "Rwanda", "RW"),
    (0x070000, 0x070FFF, "Senegal", "SN"),
    (0x074000, 0x0747FF, "Seychelles", "SC"),
    (0x076000, 0x0767FF, "Sierra Leone", "SL"),
    (0x078000, 0x078FFF, "Somalia", "SO"),
    (0x07A000, 0x07A7FF, "Eswatini", "SZ"),
    (0x07C000, 0x07CFFF, "Sudan", "SD"),
    (0x080000, 0x080FFF, "Tanzania", "TZ"),
    (0x084000, 0x084FFF, "Chad", "TD"),
    (0x088000, 0x088FFF, "Togo", "TG"),
    (0x08A000, 0x08AFFF, "Zambia", "ZM"),
    (0x08C000, 0x08CFFF, "DR Congo", "CD"),
    (0x090000, 0x090FFF, "Angola", "AO"),
    (0x094000, 0x0947FF, "Benin", "BJ"),
    (0x096000, 0x0967FF, "Cabo Verde", "CV"),
    (0x098000, 0x0987FF, "Djibouti", "DJ"),
    (0x09A000, 0x09AFFF, "Gambia", "GM"),
    (0x09C000, 0x09CFFF, "Burkina Faso", "BF"),
    (0x09E000, 0x09E7FF, "Sao Tome and Principe", "ST"),
    (0x0A0000, 0x0A7FFF, "Algeria", "DZ"),
    (0x0A8000, 0x0A8FFF, "Bahamas", "BS"),
    (0x0AA000, 0x0AA7FF, "Barbados", "BB"),
    (0x0AB000, 0x0AB7FF, "Belize", "BZ"),
    (0x0AC000, 0x0ADFFF, "Colombia", "CO"),
    (0x0AE000, 0x0AEFFF, "Costa Rica", "CR"),
    (0x0B0000, 0x0B0FFF, "Cuba", "CU"),
    (0x0B2000, 0x0B2FFF, "El Salvador", "SV"),
    (0x0B4000, 0x0B4FFF, "Guatemala", "GT"),
    (0x0B6000, 0x0B6FFF, "Guyana", "GY"),
    (0x0B8000, 0x0B8FFF, "Haiti", "HT"),
    (0x0BA000, 0x0BAFFF, "Honduras", "HN"),
    (0x0BC000, 0x0BC7FF, "Saint Vincent and the Grenadines", "VC"),
    (0x0BE000, 0x0BEFFF, "Jamaica", "JM"),
    (0x0C0000, 0x0C0FFF, "Nicaragua", "NI"),
    (0x0C2000, 0x0C2FFF, "Panama", "PA"),
    (0x0C4000, 0x0C4FFF, "Dominican Republic", "DO"),
    (0x0C6000, 0x0C6FFF, "Trinidad and Tobago", "TT"),
    (0x0C8000, 0x0C8FFF, "Suriname", "SR"),
    (0x0CA000, 0x0CA7FF, "Antigua and Barbuda", "AG"),
    (0x0CC000, 0x0CC7FF, "Grenada", "GD"),
    (0x0D0000, 0x0D7FFF, "Mexico", "MX"),
    (0x0D8000, 0x0DFFFF, "Venezuela", "VE"),
    (0x100000, 0x1FFFFF, "Russia", "RU"),
    (0x201000, 0x2017FF, "Namibia", "NA"),
    (0x202000, 0x2027FF, "Eritrea", "ER"),
    (0x300000, 0x33FFFF, "Italy", "IT"),
    (0x340000, 0x37FFFF, "Spain", "ES"),
    (0x380000, 0x3BFFFF, "France", "FR"),
    (0x3C0000, 0x3FFFFF, "Germany", "DE"),
    (0x400000, 0x43FFFF, "United Kingdom", "GB"),
    (0x440000, 0x447FFF, "Austria", "AT"),
    (0x448000, 0x44FFFF, "Belgium", "BE"),
    (0x450000, 0x457FFF, "Bulgaria", "BG"),
    (0x458000, 0x45FFFF, "Denmark", "DK"),
    (0x460000, 0x467FFF, "Finland", "FI"),
    (0x468000, 0x46FFFF, "Greece", "GR"),
    (0x470000, 0x477FFF, "Hungary", "HU"),
    (0x478000, 0x47FFFF, "Norway", "NO"),
    (0x480000, 0x487FFF, "Netherlands", "NL"),
    (0x488000, 0x48FFFF, "Poland", "PL"),
    (0x490000, 0x497FFF, "Portugal", "PT"),
    (0x498000, 0x49FFFF, "Czechia", "CZ"),
    (0x4A0000, 0x4A7FFF, "Romania", "RO"),
    (0x4A8000, 0x4AFFFF, "Sweden", "SE"),
    (0x4B0000, 0x4B7FFF, "Switzerland", "CH"),
    (0x4B8000, 0x4BFFFF, "Turkey", "TR"),
    (0x4C0000, 0x4C7FFF, "Serbia", "RS"),
    (0x4C8000, 0x4C87FF, "Cyprus", "CY"),
    (0x4CA000, 0x4CAFFF, "Ireland", "IE"),
    (0x4CC000, 0x4CCFFF, "Iceland", "IS"),
    (0x4D0000, 0x4D07FF, "Luxembourg", "LU"),
    (0x4D2000, 0x4D27FF, "Malta", "MT"),
    (0x4D4000, 0x4D47FF, "Monaco", "MC"),
    (0x500000, 0x5007FF, "San Marino", "SM"),
    (0x501000, 0x5017FF, "Albania", "AL"),
    (0x501800, 0x501FFF, "Croatia", "HR"),
    (0x502800, 0x502FFF, "Latvia", "LV"),
    (0x503800, 0x503FFF, "Lithuania", "LT"),
    (0x504800, 0x504FFF, "Moldova", "MD"),
    (0x505800, 0x505FFF, "Slovakia", "SK"),
    (0x506800, 0x506FFF, "Slovenia", "SI"),
    (0x507800, 0x507FFF, "Uzbekistan", "UZ"),
    (0x508000, 0x50FFFF, "Ukraine", "UA"),
    (0x510000, 0x5107FF, "Belarus", "BY"),
    (0x511000, 0x5117FF, "Estonia", "EE"),
    (0x512000, 0x5127FF, "North Macedonia", "MK"),
    (0x513000, 0x5137FF, "Bosnia and Herzegovina", "BA"),
    (0x514000, 0x5147FF, "Georgia", "GE"),
    (0x515000, 0x5157FF, "Tajikistan", "TJ"),
    (0x516000, 0x5167FF, "Montenegro", "ME"),
    (0x600000, 0x6007FF, "Armenia", "AM"),
    (0x600800, 0x600FFF, "Azerbaijan", "AZ"),
    (0x601000, 0x6017FF, "Kyrgyzstan", "KG"),
    (0x601800, 0x601FFF, "Turkmenistan", "TM"),
    (0x680000, 0x6807FF, "Bhutan", "BT"),
    (0x681000, 0x6817FF, "Micronesia", "FM"),
    (0x682000, 0x6827FF, "Mongolia", "MN"),
    (0x683000, 0x6837FF, "Kazakhstan", "KZ"),
    (0x684000, 0x6847FF, "Palau", "PW"),
    (0x700000, 0x700FFF, "Afghanistan", "AF"),
    (0x702000, 0x702FFF, "Bangladesh", "BD"),
    (0x704000, 0x704FFF, "Myanmar", "MM"),
    (0x706000, 0x706FFF, "Kuwait", "KW"),
    (0x708000, 0x708FFF, "Laos", "LA"),
    (0x70A000, 0x70AFFF, "Nepal", "NP"),
    (0x70C000, 0x70C7FF, "Oman", "OM"),
    (0x70E000, 0x70EFFF, "Cambodia", "KH"),
    (0x710000, 0x717FFF, "Saudi Arabia", "SA"),
    (0x718000, 0x71FFFF, "South Korea", "KR"),
    (0x720000, 0x727FFF, "North Korea", "KP"),
    (0x728000, 0x72FFFF, "Iraq", "IQ"),
    (0x730000, 0x737FFF, "Iran", "IR"),
    (0x738000, 0x73FFFF, "Israel", "IL"),
    (0x740000, 0x747FFF, "Jordan", "JO"),
    (0x748000, 0x74FFFF, "Lebanon", "LB"),
    (0x750000, 0x757FFF, "Malaysia", "MY"),
    (0x758000, 0x75FFFF, "Philippines", "PH"),
    (0x760000, 0x767FFF, "Pakistan", "PK"),
    (0x768000, 0x76FFFF, "Singapore", "SG"),
    (0x770000, 0x777FFF, "Sri Lanka", "LK"),
    (0x778000, 0x77FFFF, "Syria", "SY"),
    (0x780000, 0x7BFFFF, "China", "CN"),
    (0x7C0000, 0x7FFFFF, "Australia", "AU"),
    (0x800000, 0x83FFFF, "India", "IN"),
    (0x840000, 0x87FFFF, "Japan", "JP"),
    (0x880000, 0x887FFF, "Thailand", "TH"),
    (0x888000, 0x88FFFF, "Vietnam", "VN"),
    (0x890000, 0x890FFF, "Yemen", "YE"),
    (0x894000, 0x894FFF, "Bahrain", "BH"),
    (0x895000, 0x8957FF, "Brunei", "BN"),
    (0x896000, 0x896FFF, "United Arab Emirates", "AE"),
    (0x897000, 0x8977FF, "Solomon Islands", "SB"),
    (0x898000, 0x898FFF, "Papua New Guinea", "PG"),
    // Used in practice by aircraft registered in Taiwan.
    (0x899000, 0x8997FF, "ICAO (special use)", ""),
    (0x8A0000, 0x8A7FFF, "Indonesia", "ID"),
    (0x900000, 0x9007FF, "Marshall Islands", "MH"),
    (0x901000, 0x9017FF, "Cook Islands", "CK"),
    (0x902000, 0x9027FF, "Samoa", "WS"),
    (0xA00000, 0xAFFFFF, "United States", "US"),
    (0xC00000, 0xC3FFFF, "Canada", "CA"),
    (0xC80000, 0xC87FFF, "New Zealand", "NZ"),
    (0xC88000, 0xC88FFF, "Fiji", "FJ"),
    (0xC8A000, 0xC8A7FF, "Nauru", "NR"),
    (0xC8C000, 0xC8C7FF, "Saint Lucia", "LC"),
    (0xC8D000, 0xC8D7FF, "Tonga", "TO"),
    (0xC8E000, 0xC8E7FF, "Kiribati", "KI"),
    (0xC90000, 0xC907FF, "Vanuatu", "VU"),
    (0xC91000, 0xC917FF, "Andorra", "AD"),
    (0xC92000, 0xC927FF, "Dominica", "DM"),
    (0xC93000, 0xC937FF, "Saint Kitts and Nevis", "KN"),
    (0xC94000, 0xC947FF, "South Sudan", "SS"),
    (0xC95000, 0xC957FF, "Timor-Leste", "TL"),
    (0xC97000, 0xC977FF, "Tuvalu", "TV"),
    (0xE00000, 0xE3FFFF, "Argentina", "AR"),
    (0xE40000, 0xE7FFFF, "Brazil", "BR"),
    (0xE80000, 0xE80FFF, "Chile", "CL"),
    (0xE84000, 0xE84FFF, "Ecuador", "EC"),
    (0xE88000, 0xE88FFF, "Paraguay", "PY"),
    (0xE8C000, 0xE8CFFF, "Peru", "PE"),
    (0xE90000, 0xE90FFF, "Uruguay", "UY"),
    (0xE94000, 0xE94FFF, "Bolivia", "BO"),
    (0xF00000, 0xF07FFF, "ICAO (temporary)", ""),
    (0xF09000, 0xF097FF, "ICAO (special use)", ""),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(icao: u32) -> Option<&'static str> {
        country(icao).map(|c| c.iso)
    }

    #[test]
    fn table_is_sorted_and_non_overlapping() {
        for &(first, last, name, _) in ALLOCATIONS {
            assert!(first <= last, "{name}: {first:06X} > {last:06X}");
            assert!(
                last <= 0xFF_FFFF,
                "{name}: {last:06X} is wider than 24 bits"
            );
        }
        for pair in ALLOCATIONS.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            assert!(a.1 < b.0, "{} overlaps or precedes {}", a.2, b.2);
        }
    }

    #[test]
    fn blocks_are_annex_bit_patterns() {
        // Every row comes from a fixed bit prefix, so its size is a power of
        // two and its first address is a multiple of that size.
        for &(first, last, name, _) in ALLOCATIONS {
            let size = last - first + 1;
            assert!(size.is_power_of_two(), "{name}: {size} addresses");
            assert_eq!(first % size, 0, "{name}: {first:06X} not aligned");
        }
    }

    #[test]
    fn names_and_codes_are_well_formed() {
        let mut seen = Vec::new();
        for &(_, _, name, code) in ALLOCATIONS {
            assert!(!name.is_empty() && name.is_ascii(), "{name:?}");
            if code.is_empty() {
                assert!(name.starts_with("ICAO"), "{name} has no ISO code");
                continue;
            }
            assert!(
                code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()),
                "{name}: {code:?}"
            );
            assert!(!seen.contains(&code), "{code} has two blocks");
            seen.push(code);
        }
    }

    #[test]
    fn well_known_addresses() {
        let cases = [
            (0xA0_0001, "United States", "US"),
            (0xAF_FFFF, "United States", "US"),
            (0x40_0000, "United Kingdom", "GB"),
            (0x43_FFFF, "United Kingdom", "GB"),
            (0x3C_0000, "Germany", "DE"),
            (0x38_0000, "France", "FR"),
            (0xC0_0000, "Canada", "CA"),
            (0x7C_0000, "Australia", "AU"),
            (0x78_0000, "China", "CN"),
            (0x84_0000, "Japan", "JP"),
            (0x10_0000, "Russia", "RU"),
            (0x4B_8000, "Turkey", "TR"),
        ];
        for (icao, name, code) in cases {
            assert_eq!(
                country(icao),
                Some(Country { name, iso: code }),
                "{icao:06X}"
            );
        }
    }

    #[test]
    fn small_blocks_and_their_edges() {
        assert_eq!(iso(0x50_37FF), None);
        assert_eq!(iso(0x50_3800), Some("LT"));
        assert_eq!(iso(0x50_3FFF), Some("LT"));
        assert_eq!(iso(0x50_4000), None);
        assert_eq!(iso(0x4D_2401), Some("MT"));
        assert_eq!(iso(0x51_6000), Some("ME"));
        assert_eq!(iso(0x06_A000), Some("QA"));
        assert_eq!(iso(0xC9_5000), Some("TL"));
        assert_eq!(iso(0x00_4000), Some("ZW"));
        assert_eq!(iso(0x00_3FFF), None);
    }

    #[test]
    fn icao_blocks_have_no_iso_code() {
        let temporary = Country {
            name: "ICAO (temporary)",
            iso: "",
        };
        assert_eq!(country(0xF0_0000), Some(temporary));
        assert_eq!(country(0xF0_7FFF), Some(temporary));
        assert_eq!(country(0xF0_9000).map(|c| c.iso), Some(""));
        assert_eq!(country(0x89_9000).map(|c| c.iso), Some(""));
    }

    #[test]
    fn unallocated_addresses_have_no_country() {
        for icao in [
            0x00_0000,
            0x20_0000,
            0x50_0800,
            0x9F_FFFF,
            0xB0_0000,
            0xFF_FFFF,
            0x100_0000,
            u32::MAX,
        ] {
            assert_eq!(country(icao), None, "{icao:06X}");
        }
    }
}
