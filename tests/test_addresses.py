"""Readable addresses: cdktf's hashed ids renamed to construct paths, references included."""

from __future__ import annotations

import pytest

from stacks.addresses import AddressCollision, rename


def element(path: str, **body) -> dict:
    return {"//": {"metadata": {"path": path, "uniqueId": "x"}}, **body}


def test_renames_ids_and_every_reference():
    document = {
        "resource": {
            "aws_vpc": {"network_vpc_4E8F0223": element("dev/network/vpc", cidr_block="10.0.0.0/16")},
            "aws_subnet": {"network_subnet_0_0A1B2C3D": element(
                "dev/network/subnet_0", vpc_id="${aws_vpc.network_vpc_4E8F0223.id}",
                depends_on=["aws_vpc.network_vpc_4E8F0223"],
            )},
        },
        "data": {"aws_elb_service_account": {"lb_account_ABCDEF12": element("dev/lb/account")}},
        "output": {"vpc": {
            "value": "${aws_vpc.network_vpc_4E8F0223.id} ${data.aws_elb_service_account.lb_account_ABCDEF12.arn}",
        }},
    }
    renamed = rename(document)
    assert set(renamed["resource"]["aws_vpc"]) == {"network_vpc"}
    subnet = renamed["resource"]["aws_subnet"]["network_subnet_0"]
    assert subnet["vpc_id"] == "${aws_vpc.network_vpc.id}" and subnet["depends_on"] == ["aws_vpc.network_vpc"]
    expected = "${aws_vpc.network_vpc.id} ${data.aws_elb_service_account.lb_account.arn}"
    assert renamed["output"]["vpc"]["value"] == expected
    assert "4E8F0223" not in str(renamed)


def test_top_level_ids_stay():
    document = {"resource": {"aws_vpc": {"vpc": element("dev/vpc")}}}
    assert rename(document) == document


def test_collision_is_an_error():
    document = {"resource": {
        "aws_vpc": {"a_b_11111111": element("dev/a/b")},
        "aws_subnet": {"a_b_22222222": element("dev/a-b")},
    }}
    with pytest.raises(AddressCollision, match="would both be named a_b"):
        rename(document)


def test_an_unhashed_nested_id_is_an_error():
    with pytest.raises(AddressCollision, match="no hash suffix"):
        rename({"resource": {"aws_vpc": {"custom": element("dev/network/vpc")}}})
