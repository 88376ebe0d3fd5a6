//! Demo fixtures: enterprises and users covering every state `login` can
//! report, so a frontend developer can see each `apply` shape at once.

use chrono::Utc;
use entity::{applications, enterprises, users};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionTrait,
};

use crate::{domain::Password, flows::FlowError, password_hasher::PasswordHasher};

/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "demo123456";

/// One demo user, as printed for the developer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    /// The phone to log in with.
    pub phone: &'static str,
    /// The display name.
    pub name: &'static str,
    /// What `login` shows for this user.
    pub shows: &'static str,
}

/// An enterprise to create, by name.
const ENTERPRISES: [&str; 2] = ["apple", "banana"];

/// (phone, name, member of, applications as (enterprise, state) oldest first, permissions, shows)
type Fixture = (
    &'static str,
    &'static str,
    Option<usize>,
    &'static [(usize, i16)],
    &'static [&'static str],
    &'static str,
);

const USERS: [Fixture; 5] = [
    (
        "13900000001",
        "演示-未申请",
        None,
        &[],
        &[],
        "apply {} (never applied), enterprise_id \"-1\"",
    ),
    (
        "13900000002",
        "演示-申请中",
        None,
        &[(0, 0)],
        &[],
        "apply_state \"0\" (pending) for apple",
    ),
    (
        "13900000003",
        "演示-已通过",
        Some(0),
        &[(0, 1)],
        &["member", "approve_applications"],
        "apply_state \"1\" (approved), member of apple, two permissions",
    ),
    (
        "13900000004",
        "演示-被拒绝",
        None,
        &[(1, -1)],
        &[],
        "apply_state \"-1\" (rejected) for banana",
    ),
    (
        "13900000005",
        "演示-再申请",
        None,
        &[(1, -1), (0, 0)],
        &["viewer"],
        "latest of two: pending for apple after a rejection by banana",
    ),
];

/// How many accounts of `db` are not demo users (by phone).
pub async fn other_accounts(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let phones = USERS.iter().map(|(phone, ..)| *phone);
    users::Entity::find()
        .filter(users::Column::Phone.is_not_in(phones))
        .count(db)
        .await
}

/// Loads the fixtures; users already present (by phone) are left as they are.
/// Returns every demo user.
pub async fn load(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
) -> Result<Vec<DemoUser>, FlowError> {
    let password = Password::parse(DEMO_PASSWORD).expect("the demo password is valid");
    let password_hash = hasher.hash(&password).await?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let mut enterprise_ids = Vec::new();
    for name in ENTERPRISES {
        let existing = enterprises::Entity::find()
            .filter(enterprises::Column::Name.eq(name))
            .one(&txn)
            .await?;
        let id = match existing {
            Some(enterprise) => enterprise.id,
            None => {
                let enterprise = enterprises::ActiveModel {
                    name: Set(name.to_owned()),
                    created_at: Set(now),
                    ..Default::default()
                };
                enterprises::Entity::insert(enterprise)
                    .exec(&txn)
                    .await?
                    .last_insert_id
            }
        };
        enterprise_ids.push(id);
    }
    let mut demo_users = Vec::new();
    for (phone, name, member_of, applied, permissions, shows) in USERS {
        demo_users.push(DemoUser { phone, name, shows });
        let exists = users::Entity::find()
            .filter(users::Column::Phone.eq(phone))
            .one(&txn)
            .await?
            .is_some();
        if exists {
            continue;
        }
        let user_id = uuid::Uuid::new_v4().simple().to_string();
        let user = users::ActiveModel {
            id: Set(user_id.clone()),
            phone: Set(phone.to_owned()),
            name: Set(name.to_owned()),
            password_hash: Set(password_hash.clone()),
            device_identifier: Set("demo-device".to_owned()),
            enterprise_id: Set(member_of.map(|index| enterprise_ids[index])),
            permissions: Set(serde_json::json!(permissions)),
            created_at: Set(now),
            updated_at: Set(now),
            disabled_at: Set(None),
        };
        users::Entity::insert(user)
            .exec_without_returning(&txn)
            .await?;
        for &(enterprise, state) in applied {
            let application = applications::ActiveModel {
                user_id: Set(user_id.clone()),
                enterprise_id: Set(enterprise_ids[enterprise]),
                state: Set(state),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            };
            applications::Entity::insert(application).exec(&txn).await?;
        }
    }
    txn.commit().await?;
    Ok(demo_users)
}
