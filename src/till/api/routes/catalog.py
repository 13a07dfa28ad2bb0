"""Catalog, stock and customers: reads, and the writes a till or manager makes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from till.api.deps import EngineDep, IdPath, PrincipalDep, staff
from till.api.schemas import CustomerIn, CustomerOut, ProductOut, StockAdjustmentIn, StockOut, problems
from till.domain.customers import Customer
from till.domain.inventory import StockAdjustment
from till.domain.staff import Permission
from till.services import customers as customer_service
from till.services.auth import Principal
from till.services.errors import NotFound
from till.services.stock import adjust_stock, stock_of
from till.services.sync import customer_json, product_json
from till.storage.uow import UnitOfWork

router = APIRouter(prefix="/api")

Search = Annotated[str, Query(min_length=1, max_length=100)]
Limit = Annotated[int, Query(ge=1, le=200)]
#: Any member, about every location: a till sends a customer to the shop that has the item.
Everywhere = Annotated[Principal, Depends(staff(scoped=False))]
StockKeeper = Annotated[Principal, Depends(staff(Permission.STOCK_ADJUST))]
CustomerMaker = Annotated[Principal, Depends(staff(Permission.CUSTOMER_CREATE))]


@router.get("/products", response_model=list[ProductOut], tags=["catalog"])
def search_products(engine: EngineDep, principal: PrincipalDep, q: Search, limit: Limit = 50) -> list[Any]:
    """Products whose sku, name or barcode contains `q`."""
    with UnitOfWork(engine) as uow:
        return [product_json(p) for p in uow.catalog.search(q, limit)]


@router.get(
    "/products/by-barcode/{barcode}", response_model=ProductOut, tags=["catalog"], responses=problems(404)
)
def product_by_barcode(barcode: str, engine: EngineDep, principal: PrincipalDep) -> Any:
    """The product a scanned barcode belongs to."""
    with UnitOfWork(engine) as uow:
        sku = uow.catalog.sku_for_barcode(barcode)
        found = uow.catalog.products([sku]) if sku else {}
        if not found:
            raise NotFound(f"no product with barcode {barcode}")
        return product_json(next(iter(found.values())))


@router.get("/products/{sku}", response_model=ProductOut, tags=["catalog"], responses=problems(404))
def get_product(sku: str, engine: EngineDep, principal: PrincipalDep) -> Any:
    """One product with its EAV attributes and prices."""
    with UnitOfWork(engine) as uow:
        found = uow.catalog.products([sku])
        if sku not in found:
            raise NotFound(f"no product {sku}")
        return product_json(found[sku])


@router.get("/stock/{sku}", response_model=StockOut, tags=["stock"], responses=problems(404))
def get_stock(sku: str, engine: EngineDep, principal: Everywhere) -> Any:
    """A sku's quantity at every source and salable quantity at every location."""
    return stock_of(engine, sku)


@router.post(
    "/stock/adjustments",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["stock"],
    responses=problems(403, 404),
)
def post_adjustment(body: StockAdjustmentIn, engine: EngineDep, principal: StockKeeper) -> None:
    """Count, damage, receive, correct or transfer stock, with a reason (stock_adjust permission)."""
    adjust_stock(engine, principal, StockAdjustment(**body.model_dump()))


@router.get("/customers", response_model=list[CustomerOut], tags=["customers"])
def search_customers(engine: EngineDep, principal: PrincipalDep, q: Search, limit: Limit = 20) -> list[Any]:
    """Customers whose name, e-mail or phone contains `q`."""
    with UnitOfWork(engine) as uow:
        return [customer_json(row) for row in uow.customers.search(q, limit)]


@router.get(
    "/customers/{customer_id}", response_model=CustomerOut, tags=["customers"], responses=problems(404)
)
def get_customer(customer_id: IdPath, engine: EngineDep, principal: PrincipalDep) -> Any:
    """One customer."""
    with UnitOfWork(engine) as uow:
        row = uow.customers.get(customer_id)
        if row is None:
            raise NotFound(f"no customer {customer_id}")
        return customer_json(row)


@router.post(
    "/customers",
    response_model=CustomerOut,
    status_code=status.HTTP_201_CREATED,
    tags=["customers"],
    responses=problems(
        403, 409, also={200: {"model": CustomerOut, "description": "a replay: the customer exists already"}}
    ),
)
def create_customer(body: CustomerIn, response: Response, engine: EngineDep, principal: CustomerMaker) -> Any:
    """Create a customer at the till (201); a retry with the same client_key answers it again (200)."""
    customer = Customer(body.email, body.firstname, body.lastname, body.group_id, body.phone)
    customer_id, created = customer_service.create_customer(engine, customer, body.client_key)
    if not created:
        response.status_code = status.HTTP_200_OK
    with UnitOfWork(engine) as uow:
        row = uow.customers.get(customer_id)
        assert row is not None
        return customer_json(row)
