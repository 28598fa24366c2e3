"""The brand model catalogue: which models a dealer offers, and how free text maps to them."""

import pytest
from django.db import IntegrityError, transaction

from crm.core.scope import network_wide
from crm.network.models import Brand, BrandModel, DealerAlias
from crm.network.selectors import brand_models_for_dealer, model_match, models_match
from tests.factories import BrandFactory, BrandModelFactory, DealerFactory

AURORA = Brand(
    id=1, code="aurora", name="Aurora Motors 奥瑞汽车", is_oem_brand=True, aliases=["Aurora", "奥罗拉"]
)
KESTREL = Brand(id=2, code="kestrel", name="Kestrel 凯斯特", aliases=[])
CATALOGUE = [
    BrandModel(brand=AURORA, code="A6", name="A6 Saloon", aliases=["锐享"]),
    BrandModel(brand=AURORA, code="X5", name="SUV X5", aliases=[]),
    BrandModel(brand=AURORA, code="EV7", name="EV7 Electric", aliases=[]),
    BrandModel(brand=KESTREL, code="K3", name="K3", aliases=[]),
]


@pytest.mark.parametrize(
    "text",
    ["A6", "a6", " A6 ", "Ａ６", "A 6", "Aurora A6", "AURORA a6", "aurora-a6", "奥罗拉 A6", "奥瑞汽车A6",
     "Aurora Motors A6", "A6 Saloon", "Aurora A6 saloon", "锐享", "Aurora 锐享"],
)  # fmt: skip
def test_brand_prefix_case_width_and_spaces_do_not_matter(text):
    match = model_match(text=text, models=CATALOGUE)

    assert match.is_matched and match.value == "A6"


def test_other_names_and_hyphens_match_the_model():
    assert model_match(text="SUV X5", models=CATALOGUE).value == "X5"
    assert model_match(text="EV-7", models=CATALOGUE).value == "EV7"
    assert model_match(text="凯斯特 K3", models=CATALOGUE).value == "K3"


@pytest.mark.parametrize("text", ["Aurora S7", "Toyota Camry", "A6L", "A66", "Kestrel A6", "Aurora"])
def test_unknown_text_is_kept_as_typed_and_reported_unmatched(text):
    match = model_match(text=text, models=CATALOGUE)

    assert not match.is_matched and match.model is None
    assert match.value == text


def test_a_brand_prefix_only_matches_that_brands_models():
    assert not model_match(text="Kestrel X5", models=CATALOGUE).is_matched


def test_typed_text_keeps_its_letters_but_not_its_stray_spaces():
    assert model_match(text="  Aurora   S7 ", models=CATALOGUE).value == "Aurora S7"
    assert model_match(text="   ", models=CATALOGUE).value == ""


def test_an_empty_catalogue_matches_nothing():
    assert models_match(texts=["A6", "Aurora A6"], models=[]) == [
        model_match(text="A6", models=[]),
        model_match(text="Aurora A6", models=[]),
    ]
    assert [match.value for match in models_match(texts=["A6", "Aurora A6"], models=[])] == [
        "A6",
        "Aurora A6",
    ]


def test_a_bare_name_in_two_brands_goes_to_the_first_listed():
    twin = BrandModel(brand=KESTREL, code="A6", name="A6", aliases=[])

    assert model_match(text="A6", models=[*CATALOGUE, twin]).model is CATALOGUE[0]
    assert model_match(text="Kestrel A6", models=[*CATALOGUE, twin]).model is twin


# --- The catalogue in the database ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_dealer_gets_the_models_on_sale_of_the_brands_it_sells_own_brand_first(
    django_assert_num_queries,
):
    aurora = BrandFactory()
    rival = BrandFactory(code="abacus", name="Abacus", is_oem_brand=False)
    elsewhere = BrandFactory(code="zephyr", name="Zephyr", is_oem_brand=False)
    dealer = DealerFactory(brands=[aurora, rival])
    BrandModelFactory(brand=aurora, code="X5", position=2)
    BrandModelFactory(brand=aurora, code="A6", position=1)
    BrandModelFactory(brand=aurora, code="Q9", is_active=False)
    BrandModelFactory(brand=rival, code="B1")
    BrandModelFactory(brand=elsewhere, code="Z1")

    with django_assert_num_queries(1):
        models = list(brand_models_for_dealer(dealer_id=dealer.id))
        assert [(model.brand.code, model.code) for model in models] == [
            ("aurora", "A6"),
            ("aurora", "X5"),
            ("abacus", "B1"),
        ]
    assert model_match(text="Aurora A6", models=models).model == models[0]


@pytest.mark.django_db
def test_a_model_code_is_once_per_brand_whatever_its_case():
    brand = BrandFactory()
    BrandModelFactory(brand=brand, code="A6")
    with network_wide(reason="test"), pytest.raises(IntegrityError), transaction.atomic():
        BrandModel.objects.create(brand=brand, code="a6", name="A6")


@pytest.mark.django_db
def test_a_dealer_alias_names_one_dealer_only():
    first, second = DealerFactory(), DealerFactory()
    with network_wide(reason="test"):
        DealerAlias.objects.create(dealer=first, alias="Lakeshore Aurora")
        with pytest.raises(IntegrityError), transaction.atomic():
            DealerAlias.objects.create(dealer=second, alias="LAKESHORE AURORA")
