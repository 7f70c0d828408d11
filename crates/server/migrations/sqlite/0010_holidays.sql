-- The working-day calendar (both backends: this one file is the SQLite migration, and
-- migrations/postgres/0010_holidays.sql is a link to it, so the official days are written
-- once; everything here is in the SQL both dialects share).
--
-- Days that differ from the weekly rule of public offices (Monday to Friday): a weekday off,
-- or a weekend day worked in exchange for a swapped day off ("ngày làm bù"). Due dates of
-- registration requests are counted on it (docs/design/registration-flow.md); the operator
-- edits it with `dinhdanh-server holiday add|remove` (docs/design/operations.md).
CREATE TABLE holidays (
    -- The date in Vietnam, YYYY-MM-DD; one kind per day.
    day         TEXT PRIMARY KEY,
    -- 'day_off' (a weekday) or 'make_up_working_day' (a Saturday or Sunday).
    kind        TEXT NOT NULL,
    name_vi     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    -- Who set it: 'release' (shipped here), 'operator' (the command line), or
    -- 'account:<id>' (a person, in the officer console); and when (Unix seconds).
    set_by      TEXT NOT NULL,
    set_at      BIGINT NOT NULL
);

-- One row. A change to the table updates it first, so the change holds its row lock to the
-- commit; an action that counts a due date reads it `FOR SHARE` on PostgreSQL. So with
-- several instances on one database, a due date is never counted on a calendar that a
-- concurrent change is replacing (the change waits for the action, or the action for the
-- change, then reads the new days). On SQLite every write transaction already runs alone.
CREATE TABLE holiday_calendar (
    id          BIGINT PRIMARY KEY,
    version     BIGINT NOT NULL
);
INSERT INTO holiday_calendar (id, version) VALUES (1, 0);

-- The official days off of 2025, 2026 and 2027, as shipped. Weekend days the law makes up
-- for are entered as the weekday given instead (Labour Code 2019, Art. 111(3)); the
-- holidays of Art. 112(1) that fall on a weekday are entered under their own name.
--
-- 2025: Tết, 30/4–1/5 and Quốc khánh: the Prime Minister's decision conveyed by the
--   Government Office, công văn 8726/VPCP-KGVX of 26/11/2024 (Tết 27–31/1, a 9-day break
--   25/1–2/2; 30/4–4/5 with Friday 2/5 swapped for Saturday 26/4; Quốc khánh 1–2/9, a
--   break 30/8–2/9); announced by the Ministry of Labour, Invalids and Social Affairs and,
--   for 2/9, the Ministry of Home Affairs (baochinhphu.vn "Three days off … Hung Kings
--   Commemoration Day", 2025-03-04; vietnamnews.vn 1687874 and 1722634). Tết Dương lịch
--   1/1 and Giỗ Tổ 7/4 (10/3 lunar): Labour Code, Art. 112(1).
-- 2026: Tết Dương lịch: công văn 12729/VPCP-KGVX of 25/12/2025 (Deputy Prime Minister
--   Phạm Thị Thanh Trà: 1–4/1, Friday 2/1 swapped for Saturday 10/1). Tết and Quốc khánh:
--   thông báo 9441/TB-BNV of 16/10/2025 of the Ministry of Home Affairs (Tết 16–20/2, a
--   9-day break 14–22/2; Quốc khánh 1–2/9 with Monday 31/8 swapped for Saturday 22/8, a
--   break 29/8–2/9) (vietnamnews.vn 1727514, 2025-10-17). Giỗ Tổ falls on Sunday 26/4, so
--   Monday 27/4 is off (Art. 111(3); thanhnien.vn, 2026-02-23). 30/4 and 1/5 are Thursday
--   and Friday.
-- 2027: NOT YET ANNOUNCED when this was written (2026-12-02): what the Labour Code fixes,
--   with the lunar dates computed for Vietnam's time zone (UTC+7): Tết Đinh Mùi is Saturday
--   6/2/2027 and Giỗ Tổ (10/3 lunar) Friday 16/4/2027. Tết's five days are taken as the
--   last day of the old year (Friday 5/2) and mùng 1–4, the two on the weekend made up on
--   Wednesday 10/2 and Thursday 11/2 (Art. 111(3)); the Prime Minister picks the days each
--   year (Art. 112(3)), so the operator replaces these with `holiday remove|add` once they
--   are announced. Quốc khánh's adjacent day is taken as Friday 3/9 (as in 2021, when 2/9
--   was also a Thursday). 1/5/2027 is a Saturday: Monday 3/5 is off. Every such row says
--   "dự kiến, chưa công bố" / "expected, not yet announced" in its name.
-- Not included: 24/11, Ngày Văn hóa Việt Nam, chosen as a paid day off by Resolution
--   80-NQ/TW but not yet in the Labour Code when this was written; add it when it is.
INSERT INTO holidays (day, kind, name_vi, name_en, set_by, set_at) VALUES
    ('2025-01-01', 'day_off', 'Tết Dương lịch', 'New Year''s Day', 'release', 1796169600),
    ('2025-01-27', 'day_off', 'Tết Nguyên đán Ất Tỵ (28 tháng Chạp)', 'Lunar New Year (Tết)', 'release', 1796169600),
    ('2025-01-28', 'day_off', 'Tết Nguyên đán Ất Tỵ (29 tháng Chạp)', 'Lunar New Year (Tết)', 'release', 1796169600),
    ('2025-01-29', 'day_off', 'Tết Nguyên đán Ất Tỵ (mùng 1 Tết)', 'Lunar New Year (Tết)', 'release', 1796169600),
    ('2025-01-30', 'day_off', 'Tết Nguyên đán Ất Tỵ (mùng 2 Tết)', 'Lunar New Year (Tết)', 'release', 1796169600),
    ('2025-01-31', 'day_off', 'Tết Nguyên đán Ất Tỵ (mùng 3 Tết)', 'Lunar New Year (Tết)', 'release', 1796169600),
    ('2025-04-07', 'day_off', 'Giỗ Tổ Hùng Vương (10/3 âm lịch)', 'Hùng Kings'' Commemoration Day', 'release', 1796169600),
    ('2025-04-26', 'make_up_working_day', 'Làm bù cho ngày nghỉ thứ Sáu 2/5', 'Make-up working day for Friday 2 May', 'release', 1796169600),
    ('2025-04-30', 'day_off', 'Ngày Chiến thắng', 'Reunification Day', 'release', 1796169600),
    ('2025-05-01', 'day_off', 'Ngày Quốc tế Lao động', 'International Workers'' Day', 'release', 1796169600),
    ('2025-05-02', 'day_off', 'Nghỉ hoán đổi (làm bù thứ Bảy 26/4)', 'Swapped day off (worked Saturday 26 April)', 'release', 1796169600),
    ('2025-09-01', 'day_off', 'Quốc khánh (ngày liền kề)', 'National Day (adjacent day)', 'release', 1796169600),
    ('2025-09-02', 'day_off', 'Quốc khánh', 'National Day', 'release', 1796169600),
    ('2026-01-01', 'day_off', 'Tết Dương lịch', 'New Year''s Day', 'release', 1796169600),
    ('2026-01-02', 'day_off', 'Nghỉ hoán đổi (làm bù thứ Bảy 10/1)', 'Swapped day off (worked Saturday 10 January)', 'release', 1796169600),
    ('2026-01-10', 'make_up_working_day', 'Làm bù cho ngày nghỉ thứ Sáu 2/1', 'Make-up working day for Friday 2 January', 'release', 1796169600),
    ('2026-02-16', 'day_off', 'Tết Nguyên đán Bính Ngọ (29 tháng Chạp)', 'Lunar New Year (Tết)', 'release', 1796169600),
    ('2026-02-17', 'day_off', 'Tết Nguyên đán Bính Ngọ (mùng 1 Tết)', 'Lunar New Year (Tết)', 'release', 1796169600),
    ('2026-02-18', 'day_off', 'Tết Nguyên đán Bính Ngọ (mùng 2 Tết)', 'Lunar New Year (Tết)', 'release', 1796169600),
    ('2026-02-19', 'day_off', 'Tết Nguyên đán Bính Ngọ (mùng 3 Tết)', 'Lunar New Year (Tết)', 'release', 1796169600),
    ('2026-02-20', 'day_off', 'Tết Nguyên đán Bính Ngọ (mùng 4 Tết)', 'Lunar New Year (Tết)', 'release', 1796169600),
    ('2026-04-27', 'day_off', 'Nghỉ bù Giỗ Tổ Hùng Vương (10/3 âm lịch là Chủ nhật 26/4)', 'Compensatory day off for Hùng Kings'' Commemoration Day (Sunday 26 April)', 'release', 1796169600),
    ('2026-04-30', 'day_off', 'Ngày Chiến thắng', 'Reunification Day', 'release', 1796169600),
    ('2026-05-01', 'day_off', 'Ngày Quốc tế Lao động', 'International Workers'' Day', 'release', 1796169600),
    ('2026-08-22', 'make_up_working_day', 'Làm bù cho ngày nghỉ thứ Hai 31/8', 'Make-up working day for Monday 31 August', 'release', 1796169600),
    ('2026-08-31', 'day_off', 'Nghỉ hoán đổi (làm bù thứ Bảy 22/8)', 'Swapped day off (worked Saturday 22 August)', 'release', 1796169600),
    ('2026-09-01', 'day_off', 'Quốc khánh (ngày liền kề)', 'National Day (adjacent day)', 'release', 1796169600),
    ('2026-09-02', 'day_off', 'Quốc khánh', 'National Day', 'release', 1796169600),
    ('2027-01-01', 'day_off', 'Tết Dương lịch (dự kiến, chưa công bố)', 'New Year''s Day (expected, not yet announced)', 'release', 1796169600),
    ('2027-02-05', 'day_off', 'Tết Nguyên đán Đinh Mùi (29 tháng Chạp) (dự kiến, chưa công bố)', 'Lunar New Year (Tết) (expected, not yet announced)', 'release', 1796169600),
    ('2027-02-08', 'day_off', 'Tết Nguyên đán Đinh Mùi (mùng 3 Tết) (dự kiến, chưa công bố)', 'Lunar New Year (Tết) (expected, not yet announced)', 'release', 1796169600),
    ('2027-02-09', 'day_off', 'Tết Nguyên đán Đinh Mùi (mùng 4 Tết) (dự kiến, chưa công bố)', 'Lunar New Year (Tết) (expected, not yet announced)', 'release', 1796169600),
    ('2027-02-10', 'day_off', 'Tết Nguyên đán Đinh Mùi (nghỉ bù mùng 1 Tết, thứ Bảy) (dự kiến, chưa công bố)', 'Lunar New Year (Tết) (expected, not yet announced)', 'release', 1796169600),
    ('2027-02-11', 'day_off', 'Tết Nguyên đán Đinh Mùi (nghỉ bù mùng 2 Tết, Chủ nhật) (dự kiến, chưa công bố)', 'Lunar New Year (Tết) (expected, not yet announced)', 'release', 1796169600),
    ('2027-04-16', 'day_off', 'Giỗ Tổ Hùng Vương (10/3 âm lịch) (dự kiến, chưa công bố)', 'Hùng Kings'' Commemoration Day (expected, not yet announced)', 'release', 1796169600),
    ('2027-04-30', 'day_off', 'Ngày Chiến thắng (dự kiến, chưa công bố)', 'Reunification Day (expected, not yet announced)', 'release', 1796169600),
    ('2027-05-03', 'day_off', 'Nghỉ bù Ngày Quốc tế Lao động (1/5 là thứ Bảy) (dự kiến, chưa công bố)', 'Compensatory day off for International Workers'' Day (Saturday 1 May) (expected, not yet announced)', 'release', 1796169600),
    ('2027-09-02', 'day_off', 'Quốc khánh (dự kiến, chưa công bố)', 'National Day (expected, not yet announced)', 'release', 1796169600),
    ('2027-09-03', 'day_off', 'Quốc khánh (ngày liền kề) (dự kiến, chưa công bố)', 'National Day (adjacent day) (expected, not yet announced)', 'release', 1796169600);
