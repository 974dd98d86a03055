"""What the benchmark reports about its own run (bench/run.py)."""

from bench.run import duplicate_reads


def test_a_read_sent_twice_is_a_duplicate_and_a_query_per_process_is_not() -> None:
    by_url = {
        "GET https://management.azure.com/subscriptions?api-version=2022-12-01": 2,
        "GET https://management.azure.com/subscriptions/s1/providers/x?api-version=1": 1,
        "HEAD https://r.azurecr.io/v2/app/manifests/1": 3,
        # one Resource Graph query per collection process: same URL, another body each
        "POST https://management.azure.com/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01": 2,
    }
    assert duplicate_reads(by_url) == 2
