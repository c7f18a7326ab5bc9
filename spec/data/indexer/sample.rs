use std::fmt;

const LIMIT: u32 = 10;
static mut COUNTER: u32 = 0;

pub struct Point { x: i32, y: i32 }

pub enum Shape { Circle, Square }

pub trait Area { fn area(&self) -> f64; }

impl Point {
    pub fn new(x: i32, y: i32) -> Point { Point { x, y } }
    fn norm(&self) -> i32 { helper(self.x) }
}

fn helper(v: i32) -> i32 { v * 2 }

mod inner {}
macro_rules! square { ($x:expr) => { $x * $x }; }
