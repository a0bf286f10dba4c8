//! Port addresses: assigned in the create transaction from each subnet's
//! block, released when a port goes, requested ones refused when taken, a
//! full subnet refused, and the default subnet far beyond one /24.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

mod common;

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::sync::Arc;

use common::{kit, IMAGE};
use ecsd::catalog::OpId;
use ecsd::control::service::{CreateSpec, NewHwSubnet, NewVpc, NicSpec, VolumeSpec};
use ecsd::control::workflows::{DeleteInput, WorkInput};
use ecsd::domain::{AddressRange, ControlError, Port, DEFAULT_SUBNET_ID, DEFAULT_VPC_ID};
use ecsd::store::prelude::*;
use ecsd::store::sqlite::SqliteStore;
use ecsd::store::NewPort;

const SUBNET: &str = "subnet-a";

fn range(cidr: &str) -> AddressRange {
    AddressRange::parse(cidr).unwrap()
}

fn port(id: &str, subnet: &str) -> Port {
    Port {
        id: id.into(),
        server_id: None,
        project_id: "p".into(),
        network_id: "net".into(),
        network_name: String::new(),
        vpc_id: None,
        subnet_id: subnet.into(),
        ip_address: String::new(),
        mac_address: "fa:16:3e:00:00:00".into(),
        binding_host: None,
        primary: true,
        status: "DOWN".into(),
        security_groups: Vec::new(),
        security_group_names: Vec::new(),
        name: String::new(),
        preserve_on_delete: false,
        floating_ip: None,
    }
}

fn any(id: &str, cidr: &str) -> NewPort {
    NewPort {
        port: port(id, SUBNET),
        requested: None,
        range: range(cidr),
        pool: None,
        bind_existing: false,
    }
}

fn asked(id: &str, cidr: &str, ip: &str) -> NewPort {
    NewPort {
        requested: Some(ip.parse().unwrap()),
        ..any(id, cidr)
    }
}

/// Creates the ports (no servers) and returns their addresses.
async fn create(store: &dyn Store, ports: &[NewPort]) -> Result<Vec<String>, ControlError> {
    let written = store.create_servers(&[], &[], ports, &[], &[]).await?;
    Ok(written.into_iter().map(|p| p.ip_address).collect())
}

async fn one(store: &dyn Store, id: &str, cidr: &str) -> String {
    create(store, &[any(id, cidr)]).await.unwrap().remove(0)
}

#[tokio::test]
async fn addresses_are_handed_out_in_order_and_released_ones_first() {
    let store = SqliteStore::in_memory().unwrap();
    let net = "10.1.0.0/24";
    let got = create(&store, &[any("a", net), any("b", net), any("c", net)])
        .await
        .unwrap();
    assert_eq!(got, ["10.1.0.2", "10.1.0.3", "10.1.0.4"]);
    assert_eq!(one(&store, "d", net).await, "10.1.0.5");

    // The smallest released address comes back first, then the counter goes on.
    store.delete_port("c").await.unwrap();
    store.delete_port("b").await.unwrap();
    assert_eq!(one(&store, "e", net).await, "10.1.0.3");
    assert_eq!(one(&store, "f", net).await, "10.1.0.4");
    assert_eq!(one(&store, "g", net).await, "10.1.0.6");
    // Deleting a port that is not there releases nothing.
    store.delete_port("nope").await.unwrap();
    assert_eq!(one(&store, "h", net).await, "10.1.0.7");
}

#[tokio::test]
async fn a_requested_address_in_use_is_refused_and_nothing_is_written() {
    let store = SqliteStore::in_memory().unwrap();
    let net = "10.2.0.0/24";
    assert_eq!(one(&store, "a", net).await, "10.2.0.2");
    let err = create(&store, &[any("b", net), asked("c", net, "10.2.0.2")])
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ControlError::Conflict {
            code: "Ecs.0005",
            message: "IP address 10.2.0.2 is already in use.".into()
        }
    );
    // The refused create took nothing: "b"'s address is handed out again.
    assert_eq!(one(&store, "d", net).await, "10.2.0.3");

    // A requested address ahead of the counter is skipped by it.
    assert_eq!(
        create(&store, &[asked("e", net, "10.2.0.4")]).await.unwrap(),
        ["10.2.0.4"]
    );
    assert_eq!(one(&store, "f", net).await, "10.2.0.5");
    // Two ports of one create asking for the same address: the second is refused.
    let err = create(&store, &[asked("g", net, "10.2.0.9"), asked("h", net, "10.2.0.9")])
        .await
        .unwrap_err();
    assert!(
        matches!(err, ControlError::Conflict { code: "Ecs.0005", .. }),
        "{err:?}"
    );
    // A released address asked for by name is not handed out again.
    store.delete_port("d").await.unwrap();
    assert_eq!(
        create(&store, &[asked("i", net, "10.2.0.3")]).await.unwrap(),
        ["10.2.0.3"]
    );
    assert_eq!(one(&store, "j", net).await, "10.2.0.6");
}

#[tokio::test]
async fn a_full_subnet_is_refused_until_an_address_is_released() {
    let store = SqliteStore::in_memory().unwrap();
    let net = "10.3.0.0/29";
    let ports: Vec<NewPort> = (0..5).map(|i| any(&format!("p{i}"), net)).collect();
    assert_eq!(
        create(&store, &ports).await.unwrap(),
        ["10.3.0.2", "10.3.0.3", "10.3.0.4", "10.3.0.5", "10.3.0.6"]
    );
    let full = ControlError::Capacity {
        message: format!("Subnet {SUBNET} has no free address."),
    };
    assert_eq!(create(&store, &[any("x", net)]).await.unwrap_err(), full);
    assert_eq!(create(&store, &[any("y", net)]).await.unwrap_err(), full);
    store.delete_port("p3").await.unwrap();
    assert_eq!(one(&store, "z", net).await, "10.3.0.5");
    assert_eq!(create(&store, &[any("w", net)]).await.unwrap_err(), full);
}

#[tokio::test]
async fn ports_written_before_pools_existed_keep_their_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let net = "192.168.9.0/24";
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        // Ports as an older ecsd wrote them: the address in the row, no pool.
        for (id, ip) in [
            ("old-1", "192.168.9.2"),
            ("old-2", "192.168.9.3"),
            ("old-3", "192.168.9.5"),
        ] {
            store
                .put_port(&Port {
                    ip_address: ip.into(),
                    ..port(id, SUBNET)
                })
                .await
                .unwrap();
        }
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(one(&store, "a", net).await, "192.168.9.4");
    assert_eq!(one(&store, "b", net).await, "192.168.9.6");
    store.delete_port("old-1").await.unwrap();
    drop(store);
    // The pool and its released addresses outlive the process.
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(one(&store, "c", net).await, "192.168.9.2");
    assert_eq!(one(&store, "d", net).await, "192.168.9.7");
}

#[tokio::test]
async fn subnets_count_apart() {
    let store = SqliteStore::in_memory().unwrap();
    let other = NewPort {
        port: port("o", "subnet-b"),
        requested: None,
        range: range("10.4.0.0/24"),
        pool: None,
        bind_existing: false,
    };
    assert_eq!(one(&store, "a", "10.4.0.0/24").await, "10.4.0.2");
    assert_eq!(create(&store, &[other]).await.unwrap(), ["10.4.0.2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_never_share_an_address() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let mut tasks = Vec::new();
    for t in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for i in 0..25 {
                got.extend(
                    create(&*store, &[any(&format!("t{t}-{i}"), "10.5.0.0/16")])
                        .await
                        .unwrap(),
                );
            }
            got
        }));
    }
    let mut all = BTreeSet::new();
    for t in tasks {
        for ip in t.await.unwrap() {
            assert!(all.insert(ip.clone()), "{ip} handed out twice");
        }
    }
    assert_eq!(all.len(), 200);
}

fn spec(network: &str, count: i64, ip: Option<&str>) -> CreateSpec {
    spec_in(DEFAULT_VPC_ID, network, count, ip)
}

fn spec_in(vpc: &str, network: &str, count: i64, ip: Option<&str>) -> CreateSpec {
    CreateSpec {
        name: "n".into(),
        image_id: IMAGE.into(),
        flavor_id: "s6.small.1".into(),
        count,
        vpc_id: Some(vpc.into()),
        nics: vec![NicSpec {
            network_id: network.into(),
            ip_address: ip.map(str::to_string),
            port_id: None,
        }],
        security_groups: Vec::new(),
        root_volume: VolumeSpec {
            volume_type: "SSD".into(),
            size_gb: 40,
            delete_on_termination: true,
        },
        data_volumes: vec![],
        availability_zone: None,
        key_name: None,
        user_data: None,
        metadata: Default::default(),
        tags: vec![],
        description: String::new(),
        dedicated_host_id: None,
        auto_rename: true,
    }
}

#[tokio::test]
async fn the_default_network_holds_more_than_one_slash_24() {
    let k = kit().await;
    let mut ips = BTreeSet::new();
    for batch in 0..4 {
        let (_, servers) = k
            .service()
            .create(
                &k.caller,
                OpId::HwCreate,
                spec(DEFAULT_SUBNET_ID, 100, None),
                &format!("req-{batch}"),
            )
            .await
            .unwrap();
        for s in servers {
            for p in k.service().store.ports_of(&s.id).await.unwrap() {
                assert!(ips.insert(p.ip_address.parse::<Ipv4Addr>().unwrap()));
            }
        }
    }
    assert_eq!(ips.len(), 400);
    assert_eq!(ips.first(), Some(&Ipv4Addr::new(10, 0, 0, 2)));
    assert_eq!(ips.last(), Some(&Ipv4Addr::new(10, 0, 1, 145)));
}

#[tokio::test]
async fn the_service_checks_requested_addresses_and_a_deleted_server_frees_its_own() {
    let k = kit().await;
    let svc = k.service();
    let vpc = svc
        .create_vpc(
            &k.caller,
            NewVpc {
                name: "v".into(),
                cidr: Some("192.168.0.0/16".into()),
                ..NewVpc::default()
            },
        )
        .await
        .unwrap();
    let made = svc
        .create_hw_subnet(
            &k.caller,
            NewHwSubnet {
                vpc_id: vpc.id.clone(),
                name: "s".into(),
                cidr: "192.168.7.0/24".into(),
                gateway_ip: "192.168.7.1".into(),
                dhcp_enable: true,
                ..NewHwSubnet::default()
            },
        )
        .await
        .unwrap();
    let subnet = made.network.id.as_str();
    let block = made.subnet.range().unwrap();
    let spec = |network: &str, count: i64, ip: Option<&str>| spec_in(&vpc.id, network, count, ip);
    let ip_of = |id: String| async move { svc.store.ports_of(&id).await.unwrap().remove(0).ip_address };

    let (_, first) = svc
        .create(&k.caller, OpId::HwCreate, spec(subnet, 1, None), "req-1")
        .await
        .unwrap();
    let host = ip_of(first[0].id.clone()).await;
    assert_eq!(host, block.first_host().to_string());
    let err = svc
        .create(&k.caller, OpId::NovaCreate, spec(subnet, 1, Some(&host)), "req-2")
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ControlError::Conflict {
            code: "Ecs.0005",
            message: format!("IP address {host} is already in use.")
        }
    );
    for bad in ["10.9.9.9", "not-an-address", &block.gateway().to_string()] {
        let err = svc
            .create(&k.caller, OpId::HwCreate, spec(subnet, 1, Some(bad)), "req-3")
            .await
            .unwrap_err();
        assert!(
            matches!(err, ControlError::BadRequest { code: "Ecs.0005", .. }),
            "{bad}: {err:?}"
        );
    }

    // Deleting the server releases its address for the next create.
    k.run().await;
    k.act(
        OpId::NovaDelete,
        &first[0].id,
        WorkInput::Delete(DeleteInput::default()),
    )
    .await;
    k.run().await;
    let (_, again) = svc
        .create(&k.caller, OpId::HwCreate, spec(subnet, 1, None), "req-4")
        .await
        .unwrap();
    assert_eq!(ip_of(again[0].id.clone()).await, host);
}

#[tokio::test]
async fn a_nic_must_name_a_network_the_caller_sees_in_the_servers_vpc() {
    let k = kit().await;
    let svc = k.service();
    let made_up = "22222222-2222-2222-2222-222222222222";
    let err = svc
        .create(&k.caller, OpId::HwCreate, spec(made_up, 1, None), "req-1")
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ControlError::BadRequest {
            code: "Ecs.0005",
            message: format!("Network {made_up} could not be found.")
        }
    );
    let err = svc
        .create(
            &k.caller,
            OpId::HwCreate,
            spec_in(made_up, DEFAULT_SUBNET_ID, 1, None),
            "req-2",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ControlError::BadRequest { message, .. } if message.contains("VPC")),
        "{err:?}"
    );
    let vpc = svc
        .create_vpc(
            &k.caller,
            NewVpc {
                cidr: Some("172.16.0.0/16".into()),
                ..NewVpc::default()
            },
        )
        .await
        .unwrap();
    let err = svc
        .create(
            &k.caller,
            OpId::HwCreate,
            spec_in(&vpc.id, DEFAULT_SUBNET_ID, 1, None),
            "req-3",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ControlError::BadRequest { message, .. } if message.contains("does not belong to VPC")),
        "{err:?}"
    );
    // The default network's port carries its network, VPC and group.
    let (_, servers) = svc
        .create(&k.caller, OpId::HwCreate, spec(DEFAULT_SUBNET_ID, 1, None), "req-4")
        .await
        .unwrap();
    let port = svc.store.ports_of(&servers[0].id).await.unwrap().remove(0);
    assert_eq!(port.network_id, DEFAULT_SUBNET_ID);
    assert_eq!(port.network_name, "private");
    assert_eq!(port.vpc_id.as_deref(), Some(DEFAULT_VPC_ID));
    assert_eq!(port.subnet_id, ecsd::domain::DEFAULT_NEUTRON_SUBNET_ID);
    assert_eq!(port.security_groups.len(), 1);
}

#[tokio::test]
async fn ports_on_the_default_network_move_to_its_neutron_subnet_once() {
    use ecsd::domain::DEFAULT_NEUTRON_SUBNET_ID;
    let dir = tempfile::tempdir().unwrap();
    let block = "10.0.0.0/12";
    let on_default = |id: &str| NewPort {
        port: Port {
            network_id: DEFAULT_VPC_ID.into(),
            server_id: Some(format!("server-{id}")),
            ..port(id, DEFAULT_SUBNET_ID)
        },
        requested: None,
        range: range(block),
        pool: None,
        bind_existing: false,
    };
    {
        // As the previous release wrote them: the Huawei subnet id as the pool.
        let store = SqliteStore::open(dir.path()).unwrap();
        let got = create(&store, &[on_default("old-1"), on_default("old-2")])
            .await
            .unwrap();
        assert_eq!(got, ["10.0.0.2", "10.0.0.3"]);
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    let moved = store.ports_of("server-old-1").await.unwrap().remove(0);
    assert_eq!(moved.subnet_id, DEFAULT_NEUTRON_SUBNET_ID);
    assert_eq!(moved.network_id, DEFAULT_SUBNET_ID);
    assert_eq!(moved.network_name, "private");
    assert_eq!(moved.vpc_id.as_deref(), Some(DEFAULT_VPC_ID));
    // The pool moved with them: the next address follows theirs.
    let next = NewPort {
        port: port("new-1", DEFAULT_NEUTRON_SUBNET_ID),
        requested: None,
        range: range(block),
        pool: None,
        bind_existing: false,
    };
    assert_eq!(create(&store, &[next]).await.unwrap(), ["10.0.0.4"]);
}
