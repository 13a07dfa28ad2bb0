<?php
declare(strict_types=1);

namespace Till\Pos\Model;

/**
 * The source-item deltas of one movement, checked and merged. Pure: no Magento classes.
 * Quantities are handled as integers of ten-thousandths (`inventory_source_item.quantity` is
 * decimal(12,4)), never as floats.
 */
final class DeltaPlan
{
    public const SCALE = 10000;

    /**
     * @param array<int, array{sku: string, source_code: string, delta: string}> $deltas
     * @return array<int, array{sku: string, source_code: string, delta: string}> one per
     *     (sku, source), in the order first named
     * @throws \InvalidArgumentException
     */
    public static function merge(string $movement, array $deltas): array
    {
        if ($movement === '' || strlen($movement) > 128) {
            throw new \InvalidArgumentException('A movement id of 1 to 128 characters is required.');
        }
        $merged = [];
        foreach ($deltas as $delta) {
            $sku = (string) $delta['sku'];
            $source = (string) $delta['source_code'];
            if ($sku === '' || $source === '') {
                throw new \InvalidArgumentException('Each delta needs a sku and a source code.');
            }
            $key = $source . "\0" . $sku;
            $units = self::units((string) $delta['delta']);
            $merged[$key] = [
                'sku' => $sku,
                'source_code' => $source,
                'units' => ($merged[$key]['units'] ?? 0) + $units,
            ];
        }
        return array_values(array_map(
            static fn (array $row): array => [
                'sku' => $row['sku'],
                'source_code' => $row['source_code'],
                'delta' => self::format($row['units']),
            ],
            $merged
        ));
    }

    /**
     * A decimal string as ten-thousandths; more than four decimals or anything else is refused.
     */
    public static function units(string $value): int
    {
        if (!preg_match('/^([+-]?)(\d{1,8})(?:\.(\d{1,4}))?$/', trim($value), $m)) {
            throw new \InvalidArgumentException(sprintf('"%s" is not a quantity with at most 4 decimals.', $value));
        }
        $units = (int) $m[2] * self::SCALE + (int) str_pad($m[3] ?? '', 4, '0');
        return $m[1] === '-' ? -$units : $units;
    }

    public static function format(int $units): string
    {
        $sign = $units < 0 ? '-' : '';
        $abs = abs($units);
        return sprintf('%s%d.%04d', $sign, intdiv($abs, self::SCALE), $abs % self::SCALE);
    }

    /**
     * MSI's status after a movement as Till writes it: in stock while anything is on the shelf.
     */
    public static function statusAfter(string $quantity): int
    {
        return self::units($quantity) > 0 ? 1 : 0;
    }
}
