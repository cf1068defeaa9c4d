// The NYC parking violations profile of the generator: what the real FY2014 export looks
// like (value lists and distributions, the shared precinct, the real file's oddities such as
// 02/29/2014, 5436P, 88888888 and Vehicle Year 0, and the header's trailing spaces), so
// benchmarks and tests load realistic rows. Values only: whether one is valid is the
// spec's business (the rules decide; nothing here restates a bound, window or format).
import type { Rnd } from './generate-columns';

export interface Profile {
  /** The header a file writes for a column (default: the spec's header). */
  header?(column: string, specHeader: string): string;
  /** Realistic values of one row, by column name; columns not named take the spec's generic values. */
  row(rnd: Rnd): Record<string, string>;
}

const STATES = ['NY', 'NJ', 'PA', 'CT', 'FL', 'MA', 'VA', 'MD', 'NC', 'IN', '99'];
const PLATE_TYPES = ['PAS', 'COM', 'OMT', 'SRF', 'OMS', '999', 'APP', 'MOT'];
const BODIES = ['SUBN', '4DSD', 'VAN', 'DELV', 'PICK', '2DSD', 'SDN', 'P-U', 'TRAC'];
const MAKES = ['FORD', 'TOYOT', 'HONDA', 'NISSA', 'CHEVR', 'FRUEH', 'ME/BE', 'BMW', 'DODGE', 'INTER'];
const STREETS = ['BROADWAY', 'W 175 ST', '3RD AVE', 'LEXINGTON AVE', 'QUEENS BLVD', 'ATLANTIC AVE', 'E 86 ST', 'FULTON ST'];
const COLORS = ['GY', 'WH', 'BK', 'BL', 'RD', 'GREY', 'WHITE', 'BROWN', ''];
const COUNTIES = ['NY', 'K', 'Q', 'BX', 'R', ''];
const DESCRIPTIONS = ['', '', '', 'NO PARKING-STREET CLEANING', 'FIRE HYDRANT, WITHIN 15 FT', 'DOUBLE PARKING'];
const SUB_DIVISIONS = ['F1', 'C', 'D', 'E2', 'J6'];

const pad = (n: number) => (n < 10 ? '0' + n : String(n));

export const NYC_PROFILE: Profile = {
  // The real export's header has trailing spaces after "Days Parking In Effect".
  header: (column, h) => (column === 'days_parking_in_effect' ? `${h}    ` : h),
  row(rnd) {
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
    const y = 2013 + (rnd() < 0.45 ? 0 : 1);
    let issue = `${pad(1 + Math.floor(rnd() * 12))}/${pad(1 + Math.floor(rnd() * 28))}/${y}`;
    if (rnd() < 0.002) issue = '02/29/2014'; // the real file has impossible dates
    let time = `${pad(1 + Math.floor(rnd() * 12))}${pad(Math.floor(rnd() * 60))}${rnd() < 0.5 ? 'A' : 'P'}`;
    if (rnd() < 0.002) time = '5436P'; // and impossible times
    const exp = rnd() < 0.05 ? '88888888' : `${2014 + Math.floor(rnd() * 2)}${pad(1 + Math.floor(rnd() * 12))}${pad(1 + Math.floor(rnd() * 28))}`;
    const precinct = Math.floor(rnd() * 123);
    const command = pad(precinct % 100).padStart(4, '0');
    return {
      plate_id: Math.floor(rnd() * 78364164096).toString(36).toUpperCase(),
      registration_state: pick(STATES),
      plate_type: pick(PLATE_TYPES),
      issue_date: issue,
      violation_code: String(1 + Math.floor(rnd() * 99)),
      vehicle_body_type: pick(BODIES),
      vehicle_make: pick(MAKES),
      issuing_agency: 'P',
      street_code1: String(Math.floor(rnd() * 90000)),
      street_code2: String(Math.floor(rnd() * 90000)),
      street_code3: String(Math.floor(rnd() * 90000)),
      vehicle_expiration_date: exp,
      violation_location: command,
      violation_precinct: String(precinct),
      issuer_precinct: String(precinct),
      issuer_code: String(Math.floor(rnd() * 999999)),
      issuer_command: command,
      issuer_squad: '0000',
      violation_time: time,
      time_first_observed: '',
      violation_county: pick(COUNTIES),
      violation_in_front_of_or_opposite: rnd() < 0.5 ? 'F' : 'O',
      house_number: String(Math.floor(rnd() * 2000)),
      street_name: pick(STREETS),
      intersecting_street: '',
      date_first_observed: '0',
      law_section: '408',
      sub_division: pick(SUB_DIVISIONS),
      violation_legal_code: '',
      days_parking_in_effect: 'BBBBBBB',
      from_hours_in_effect: 'ALL',
      to_hours_in_effect: 'ALL',
      vehicle_color: pick(COLORS),
      unregistered_vehicle: '0',
      vehicle_year: rnd() < 0.1 ? '0' : String(1990 + Math.floor(rnd() * 25)), // 0: unknown, as in the real file
      meter_number: '-',
      feet_from_curb: '0',
      violation_post_code: '',
      violation_description: pick(DESCRIPTIONS),
      no_standing_or_stopping_violation: '',
      hydrant_violation: '',
      double_parking_violation: '',
    };
  },
};
