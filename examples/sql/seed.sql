-- Sample HR table for the SQL examples. Portable: runs on PostgreSQL, MySQL/MariaDB and SQLite.
--   PostgreSQL:  psql "$PG_URL" -f examples/sql/seed.sql
--   SQLite:      node examples/sql/sqlite/make-db.mjs     (writes sqlite/hr.db from this file)
DROP TABLE IF EXISTS employees;
CREATE TABLE employees (
  employee_id VARCHAR(10) PRIMARY KEY,
  first_name VARCHAR(50) NOT NULL,
  last_name VARCHAR(50) NOT NULL,
  email VARCHAR(100) NOT NULL,
  department VARCHAR(50) NOT NULL,
  title VARCHAR(100),
  manager_id VARCHAR(10),
  status VARCHAR(12) NOT NULL,
  hired_on DATE NOT NULL
);
INSERT INTO employees VALUES
  ('E1001', 'Ivan', 'Çelik', 'ivan.celik@example.com', 'Operations', 'Chief Executive Officer', NULL, 'active', '2016-02-25'),
  ('E1002', 'Patricia', 'Novak', 'patricia.novak@example.com', 'Engineering', 'Head of Engineering', 'E1001', 'active', '2018-03-17'),
  ('E1003', 'Zoë', 'Ørsted', 'zoe.orsted@example.com', 'Engineering', 'Staff Engineer', 'E1002', 'active', '2019-07-01'),
  ('E1004', 'Łukasz', 'Wiśniewski', 'lukasz.wisniewski@example.com', 'Engineering', 'Software Engineer', 'E1002', 'active', '2021-01-11'),
  ('E1005', 'Nguyễn', 'Thị Lan', 'lan.nguyen@example.com', 'Engineering', 'Software Engineer', 'E1002', 'active', '2022-05-23'),
  ('E1006', 'Aisha', 'Khan', 'aisha.khan@example.com', 'Sales', 'Head of Sales', 'E1001', 'active', '2017-09-04'),
  ('E1007', 'João', 'Silva', 'joao.silva@example.com', 'Sales', 'Account Executive', 'E1006', 'active', '2020-11-30'),
  ('E1008', 'Mei', 'Chen', 'mei.chen@example.com', 'Sales', 'Account Executive', 'E1006', 'active', '2023-02-13'),
  ('E1009', 'Olumide', 'Adeyemi', 'olumide.adeyemi@example.com', 'Finance', 'Controller', 'E1001', 'active', '2018-06-18'),
  ('E1010', 'Sofía', 'Hernández', 'sofia.hernandez@example.com', 'Finance', 'Accountant', 'E1009', 'active', '2021-08-02'),
  ('E1011', 'Björn', 'Lindqvist', 'bjorn.lindqvist@example.com', 'Operations', 'Office Manager', 'E1001', 'active', '2019-03-25'),
  ('E1012', 'Priya', 'Raman', 'priya.raman@example.com', 'Engineering', 'Engineering Manager', 'E1002', 'active', '2020-04-06'),
  ('E1013', 'Tomás', 'Ó Briain', 'tomas.obriain@example.com', 'Sales', 'Sales Engineer', 'E1006', 'terminated', '2019-10-14'),
  ('E1014', 'Yuki', 'Tanaka', 'yuki.tanaka@example.com', 'Engineering', 'Site Reliability Engineer', 'E1012', 'active', '2024-01-08'),
  ('E1015', 'Fatma', 'Yılmaz', 'fatma.yilmaz@example.com', 'Finance', 'Payroll Specialist', 'E1009', 'active', '2022-09-19'),
  ('E1016', 'Kwame', 'Mensah', 'kwame.mensah@example.com', 'Operations', 'IT Support', 'E1011', 'terminated', '2021-06-28');
