"""Drives the embedded ClickHouse with clickhouse-connect, default settings (as Superset does).

Reads a job as JSON on stdin: {"host", "port", "user", "password", "database",
"queries": [sql…], "parameters": {…}, "table": name, "rows": [[employee_id, units]…],
and optionally "compress" (clickhouse-connect's own option; its default is True)}.
Creates `table`, inserts `rows` with client.insert (clickhouse-connect's Native
inserts), reads them back, runs each query with server-side parameters, and
prints one JSON object: rows per query, the rows read back, and the server's
summary of the insert.
"""
import json
import sys

import clickhouse_connect


def main() -> None:
    job = json.load(sys.stdin)
    client = clickhouse_connect.get_client(
        host=job["host"], port=job["port"], username=job["user"], password=job["password"], database=job["database"],
        **({"compress": job["compress"]} if "compress" in job else {}),
    )
    out = {"server_version": client.server_version, "queries": []}
    client.command(f"CREATE TABLE {job['table']} (employee_id String, units UInt64) ENGINE = MergeTree ORDER BY employee_id")
    summary = client.insert(job["table"], job["rows"], column_names=["employee_id", "units"])
    out["insert_written_rows"] = summary.written_rows
    out["read_back"] = [list(r) for r in client.query(f"SELECT employee_id, units FROM {job['table']} ORDER BY employee_id").result_rows]
    for sql in job["queries"]:
        result = client.query(sql, parameters=job["parameters"])
        out["queries"].append({"rows": len(result.result_rows), "columns": list(result.column_names)})
    json.dump(out, sys.stdout, default=str)


main()
