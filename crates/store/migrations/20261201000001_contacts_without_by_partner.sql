-- Fewer B-trees per contact row: every member row a fan-out writes lands at a random
-- place in each index of `contacts`, and `contacts_by_partner` was one of three such.
-- A partnership that ends finds its rows through the partner account's users instead
-- (`users_by_account`, then the primary key): users never move or leave their account,
-- so those are exactly the rows `account_id` named.
DROP INDEX contacts_by_partner;
