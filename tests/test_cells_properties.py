"""Properties of reading and writing cells that hold for any input, checked with generated values."""
import datetime as dt
import math

from hypothesis import given, settings, strategies as st

from lib import cells, schema

FIELDS = {f.type: f for t in schema.TABLES.values() for f in t.fields}   # one field of each type
CHOICE_FIELDS = [f for t in schema.TABLES.values() for f in t.fields if f.type == schema.CHOICE]
INT_FIELDS = [f for t in schema.TABLES.values() for f in t.fields if f.type == schema.INT]
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)

any_field = st.sampled_from(sorted(FIELDS.values(), key=lambda f: f.type))
langs = st.sampled_from(schema.LANGS)
cell_text = st.one_of(
    st.text(),
    st.text(alphabet="0123456789０１２３４５６７８９.,-/:年月日万千亿元¥$ kKwT()是否", max_size=20),
)
any_cell = st.one_of(cell_text, st.integers(), st.floats(), st.none(), st.booleans(), st.dates(),
                     st.datetimes(), st.decimals())


@PROPERTY_SETTINGS
@given(field=any_field, cell=any_cell)
def test_read_never_raises(field, cell):
    assert isinstance(cells.read(field, cell), cells.Reading)


@PROPERTY_SETTINGS
@given(field=any_field, text=cell_text)
def test_unreadable_cell_keeps_its_text_and_has_no_value(field, text):
    reading = cells.read(field, text)
    if reading.problem:
        assert (reading.value, reading.text) == (None, text)


@PROPERTY_SETTINGS
@given(field=any_field, text=cell_text)
def test_a_problem_is_always_one_with_a_message(field, text):
    problem = cells.read(field, text).problem
    assert problem is None or problem in cells.PROBLEM_CODES


@PROPERTY_SETTINGS
@given(field=any_field, text=cell_text, lang=langs)
def test_rewriting_a_readable_cell_keeps_its_value(field, text, lang):
    value = cells.read(field, text).value
    assert cells.equal(field, cells.read(field, cells.write(field, value, lang)).value, value)


@st.composite
def typed_values(draw):
    """Draw a field and a value of its type, as the rest of the app holds it."""
    kind = draw(st.sampled_from(sorted(FIELDS)))
    if kind == schema.CHOICE:
        field = draw(st.sampled_from(CHOICE_FIELDS))
        return field, draw(st.sampled_from([c.key for c in field.choices]))
    if kind == schema.INT:
        field = draw(st.sampled_from(INT_FIELDS))
        return field, draw(st.integers(field.low, field.high))
    field = FIELDS[kind]
    values = {
        schema.MONEY: st.floats(allow_nan=False, allow_infinity=False),
        schema.DATE: st.dates(),
        schema.DATETIME: st.datetimes(),
        schema.BOOL: st.booleans(),
        schema.PHONE: st.sampled_from(["13800138000", "+86 138 0013 8000", "010-12345678",
                                       "021 6123 4567 ext 89", "+1 415 555 2671"]),
        schema.EMAIL: st.emails(),
        schema.TEXT: st.text().map(str.strip),
        schema.ID: st.from_regex(r"[A-Z]-\d{6}", fullmatch=True),
    }
    return field, draw(values[kind])


@PROPERTY_SETTINGS
@given(field_and_value=typed_values(), lang=langs)
def test_reads_back_every_value_it_writes(field_and_value, lang):
    field, value = field_and_value
    reading = cells.read(field, cells.write(field, value, lang))
    assert reading.problem is None and cells.equal(field, reading.value, value)


@PROPERTY_SETTINGS
@given(amount=st.floats(allow_nan=False, allow_infinity=False), lang=langs)
def test_money_round_trip_is_exact(amount, lang):
    money = FIELDS[schema.MONEY]
    assert cells.read(money, cells.write(money, amount, lang)).value == amount


@PROPERTY_SETTINGS
@given(moment=st.datetimes(), lang=langs)
def test_datetime_round_trip_is_exact(moment, lang):
    field = FIELDS[schema.DATETIME]
    assert cells.read(field, cells.write(field, moment, lang)).value == moment


@PROPERTY_SETTINGS
@given(amount=st.floats(allow_nan=False, allow_infinity=False))
def test_money_is_written_without_exponent_or_grouping(amount):
    text = cells.write(FIELDS[schema.MONEY], amount, "zh")
    assert not set(text) & set("eE,+")


@PROPERTY_SETTINGS
@given(field=any_field, text=st.text(), lang=langs)
def test_text_a_user_typed_is_written_as_typed(field, text, lang):
    expected = field.choice(text).label(lang) if field.type == schema.CHOICE and field.choice(text) else text
    assert cells.write(field, text, lang) == expected


@PROPERTY_SETTINGS
@given(field_and_value=typed_values())
def test_every_value_equals_itself(field_and_value):
    field, value = field_and_value
    assert cells.equal(field, value, value)


@PROPERTY_SETTINGS
@given(serial=st.integers(1, 80000).filter(lambda n: not 1900 <= n < 2200))   # bare years are not serials
def test_serial_day_numbers_count_from_1899_12_30(serial):
    day = cells.read(FIELDS[schema.DATE], serial).value
    assert day == dt.date(1899, 12, 30) + dt.timedelta(days=serial)


@PROPERTY_SETTINGS
@given(amount=st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_money_reads_the_same_with_yen_sign_and_grouping(amount):
    whole = round(amount)
    typed = f"{'-' if whole < 0 else ''}¥{abs(whole):,}"
    assert math.isclose(cells.read(FIELDS[schema.MONEY], typed).value, whole)
