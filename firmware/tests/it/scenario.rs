//! The simulator's cannonball scenario flies under the identities it claims: every address
//! but the airliner's is in the built-in database, police exactly where the scenario says so.

use skyspy::core::aircraft_db::{AircraftDb, Cmpg};
use skyspy::source::scenario::roles;

#[test]
fn the_database_knows_the_scenario_as_it_claims() {
    let db = AircraftDb::builtin();
    for role in roles(52.31, 4.76) {
        for hex in &role.addresses {
            let icao = u32::from_str_radix(hex, 16).expect("hex");
            let entry = db.get(icao);
            match role.name {
                "airliner" => assert!(entry.is_none(), "{hex} must not be listed"),
                _ => {
                    let e = entry.unwrap_or_else(|| panic!("{hex} is in plane-alert-db"));
                    assert_eq!(e.cmpg == Some(Cmpg::Police), role.law_enforcement, "{hex}");
                }
            }
        }
    }
}
