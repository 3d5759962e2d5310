"""Every listing has a default and a maximum page size (issue 18.7).

A route that returns a list takes `page: PageDep = EVERYTHING` and returns `page.of(items)`
(or applies `page.to(query)` in SQL for large tables), so no request can ask for a whole
table at once:
`limit` defaults to 100 and is at most 1000; `offset` is bounded like any database integer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query
from sqlalchemy import Select

from alpr.api.inputs import DB_INT_MAX

DEFAULT_PAGE = 100
MAX_PAGE = 1000
T = TypeVar("T")
S = TypeVar("S", bound=Select[Any])


@dataclass(frozen=True)
class Page:
    limit: int = DEFAULT_PAGE
    offset: int = 0

    def of(self, items: Sequence[T]) -> list[T]:
        return list(items[self.offset : self.offset + self.limit])

    def to(self, query: S) -> S:
        return query.offset(self.offset).limit(self.limit)


def page(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page (max 1000)")]
    = DEFAULT_PAGE,
    offset: Annotated[int, Query(ge=0, le=DB_INT_MAX, description="Items to skip")] = 0,
) -> Page:
    return Page(limit, offset)


PageDep = Annotated[Page, Depends(page)]
# The default of `page` when a route function is called directly (the web console renders
# with the API's functions and pages on its own): the whole list, as before.
EVERYTHING = Page(limit=DB_INT_MAX)
