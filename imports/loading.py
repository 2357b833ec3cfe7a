"""One run of an import: the file's data rows loaded into a temporary table of this
transaction, ``imp_src`` (row number and the mapped fields as text).

A well-formed CSV is parsed by PostgreSQL itself (``COPY ... FORMAT csv``, several times faster);
any other file, or a CSV that PostgreSQL would read differently from Python's csv module, is
read in Python (``imports.readers``) and sent with ``COPY`` row by row. The planner
(``imports.planner``) and the writer (``imports.writer``) work on the same ``Run``.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
from django.db import DatabaseError, connection, transaction

from . import readers
from .errors import ImportFileError
from .spec import LOADED, ImportSpec, no_progress

TEMP_TABLES = (
    "imp_src, imp_status, imp_after, imp_res, imp_opn, imp_dup, imp_did, imp_rows, "
    "imp_cli, imp_acc, imp_pkg, imp_sub, imp_hu"
)


class Run:
    """One load of the file and its checks, inside the caller's transaction."""

    def __init__(self, spec: ImportSpec, progress: Callable = no_progress):
        self.spec = spec
        self.progress = progress
        self.cursor = connection.cursor()
        self.raw = self.cursor.cursor  # psycopg's own cursor, for COPY
        self.indexed = False  # imp_rows has its index on rn (``imports.writer.batches``)
        self.reused = False  # imp_rows is the dry run's kept plan (``imports.plans``)
        # The table that holds the rows: ``imp_src`` itself, or the table under that view.
        self.source = "imp_src"
        # The plan's and the writer's statements are large expressions over many rows:
        # PostgreSQL's JIT spent ~3.7 s compiling each range's plan statement (of ~1 s of
        # work) at 200,000 rows. Off for this transaction (a Run lives inside one).
        self.sql("SET LOCAL jit = off")

    def sql(self, sql: str, params=None):
        self.raw.execute(sql, params)
        return self.raw

    def has(self, name: str) -> bool:
        return name in self.spec.mapping

    def load(self) -> None:
        """Load the file's data rows into ``imp_src`` (rn, and the loaded fields as text)."""
        self.sql("SET LOCAL work_mem = '128MB'")
        # Left over from an earlier run in this session (the tests' one transaction).
        self.sql("DROP TABLE IF EXISTS imp_raw CASCADE")  # with the view imp_src, if any
        self.sql(f"DROP TABLE IF EXISTS {TEMP_TABLES}")
        self.progress(0, "Reading the file", force=True)
        if not (self.spec.kind == "csv" and self.load_csv_in_postgres()):
            self.load_rows()
        self.progress(stage="Checking the rows", force=True)

    def load_rows(self) -> int:
        """Read the rows in Python (any file) and COPY them in, row by row."""
        spec = self.spec
        self.sql(
            """
            CREATE TEMP TABLE imp_src (
                rn integer, did text COLLATE "C", status text, operator text, tag text,
                notes text, client text, account text, after_hold text, reseller text,
                hold_days text, package text, hold_until text, ncells integer
            ) ON COMMIT DROP
            """
        )
        columns = [(name, spec.mapping.index(name)) for name in LOADED if self.has(name)]
        names = ", ".join(name for name, _ in columns)
        indexes = [i for _, i in columns]
        count = 0
        rows = readers.data_rows(
            spec.path, spec.kind, spec.delimiter, spec.has_header, spec.encoding
        )
        try:
            with self.raw.copy(f"COPY imp_src (rn, ncells, {names}) FROM STDIN") as copy:
                write = copy.write_row
                for number, cells in rows:
                    n = len(cells)
                    write((number, n, *[cells[i] if i < n else None for i in indexes]))
                    count += 1
                    if not count % 20_000:
                        self.progress(count)
        except psycopg.DataError:
            # A NUL in a cell (PostgreSQL text cannot hold one): name the line if a CSV's.
            if spec.kind == "csv":
                for _line in readers.csv_lines(spec.path):
                    pass
            raise ImportFileError(
                "File: a cell contains a NUL byte or another character text cannot hold."
            ) from None
        self.sql("ANALYZE imp_src")
        return count

    def load_csv_in_postgres(self) -> bool:
        """PostgreSQL parses a well-formed CSV itself (several times faster than Python).

        Returns False, having changed nothing, when the file is not one it reads the way
        Python's csv module would (blank or ragged rows, odd bytes): the caller then reads
        it in Python, which names the row of any problem.
        """
        spec = self.spec
        columns = len(spec.mapping)
        with open(spec.path, "rb") as f:
            first = f.readline(65536)
        if first.startswith(b"\xef\xbb\xbf"):
            first = first[3:]
        if not first.strip() or not 0 < columns <= readers.max_columns():
            return False  # a leading blank line: leave it to the Python reader
        cols = [f"c{i}" for i in range(columns)]
        quoted = {",": "','", ";": "';'", "\t": "E'\\t'", "|": "'|'"}
        delimiter = quoted.get(spec.delimiter or ",")
        encoding = readers.PG_ENCODINGS.get(spec.encoding or "utf-8")
        if delimiter is None or encoding is None:
            return False
        size = max(spec.path.stat().st_size, 1)
        total = spec.rows_hint
        sent = 0
        try:
            with transaction.atomic():
                self.sql(
                    f"""
                    CREATE TEMP TABLE imp_raw (
                        {", ".join(f"{c} text" for c in cols)},
                        rn integer GENERATED ALWAYS AS IDENTITY
                            (START WITH {2 if spec.has_header else 1})
                    ) ON COMMIT DROP
                    """
                )
                with (
                    open(spec.path, "rb") as f,
                    self.raw.copy(
                        f"COPY imp_raw ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv, "
                        f"DELIMITER {delimiter}, HEADER {'true' if spec.has_header else 'false'}, "
                        f"ENCODING '{encoding}', "
                        f"FORCE_NOT_NULL ({', '.join(cols)}))"
                    ) as copy,
                ):
                    head = f.read(3)
                    if head != b"\xef\xbb\xbf" or encoding != "UTF8":
                        copy.write(head)
                    while chunk := f.read(1 << 20):
                        copy.write(chunk)
                        sent += len(chunk)
                        self.progress(total * sent // size if total else None)
        except (DatabaseError, psycopg.Error):
            return False
        if self.sql("SELECT count(*) FROM imp_raw").fetchone()[0] > readers.max_rows() + 1:
            raise readers.too_many_rows()
        fields = []
        for name in LOADED:
            if self.has(name):
                column = f"c{spec.mapping.index(name)}"
                fields.append(
                    f'{column} COLLATE "C" AS did' if name == "did" else f"{column} AS {name}"
                )
            else:
                fields.append(f"NULL::text AS {name}")
        # Rows whose cells are all blank are skipped, as the Python reader skips them.
        self.sql(
            "DELETE FROM imp_raw WHERE btrim(c0, ' ' || chr(9) || chr(10) || chr(13)) = '' "
            f"AND concat({', '.join(cols)}) !~ '[^[:space:]]'"
        )
        fields.append(f"{columns}::integer AS ncells")  # COPY refuses a ragged row
        self.sql(f"CREATE TEMP VIEW imp_src AS SELECT rn, {', '.join(fields)} FROM imp_raw")
        self.source = "imp_raw"
        self.sql("ANALYZE imp_raw")
        return True

    def cleanup(self):
        """Drop the temporary tables now (a commit would; a test's savepoint would not)."""
        self.sql("DROP TABLE IF EXISTS imp_raw CASCADE")
        self.sql(f"DROP TABLE IF EXISTS {TEMP_TABLES}")
