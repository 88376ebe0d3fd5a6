//! The schema changes the migrations repeat, one call each: create or drop
//! an index, add or drop a column, drop a table, and the foreign key of a
//! table that refers to another.
//!
//! Released migrations run through these, and SeaORM records only a
//! migration's name: what a function here emits must never change (a new
//! need gets a new function).

use sea_orm_migration::prelude::*;

/// Creates the index `name` on `table (columns…)`.
pub(crate) async fn create_index<C: IntoIndexColumn>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoTableRef,
    columns: impl IntoIterator<Item = C>,
) -> Result<(), DbErr> {
    manager.create_index(index(name, table, columns)).await
}

/// Creates the unique index `name` on `table (columns…)`.
pub(crate) async fn create_unique_index<C: IntoIndexColumn>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoTableRef,
    columns: impl IntoIterator<Item = C>,
) -> Result<(), DbErr> {
    manager
        .create_index(index(name, table, columns).unique().to_owned())
        .await
}

fn index<C: IntoIndexColumn>(
    name: &str,
    table: impl IntoTableRef,
    columns: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    index
}

/// Drops the index `name` of `table`.
pub(crate) async fn drop_index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoTableRef,
) -> Result<(), DbErr> {
    manager
        .drop_index(Index::drop().name(name).table(table).to_owned())
        .await
}

/// Drops `table` (with its indexes).
pub(crate) async fn drop_table(
    manager: &SchemaManager<'_>,
    table: impl IntoTableRef,
) -> Result<(), DbErr> {
    manager
        .drop_table(Table::drop().table(table).to_owned())
        .await
}

/// Adds `column` to `table`: one column per statement, the most SQLite's
/// `ALTER TABLE` adds at a time.
pub(crate) async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoTableRef,
    column: impl IntoColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).add_column(column).to_owned())
        .await
}

/// Drops `column` of `table`.
pub(crate) async fn drop_column(
    manager: &SchemaManager<'_>,
    table: impl IntoTableRef,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}

/// The foreign key `name` from `(table, column)` to the referenced
/// `(table, column)`: a deleted row takes `on_delete`, and the referenced key
/// is never updated under its references (`ON UPDATE NO ACTION`).
pub(crate) fn foreign_key(
    name: &str,
    from: (impl IntoTableRef, impl IntoIden),
    to: (impl IntoTableRef, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::NoAction)
        .to_owned()
}
